import { getBalanceV1, LedgerCommandErrors } from '@strongbox/shared-contracts';
import { CommandError } from '@strongbox/shared-messaging';
import { callService } from './dependency.errors';
import type { FlowDeps } from './flow.context';

/**
 * What the user can spend now, in minor units of the wallet's asset. The ledger opens the wallet
 * moments after /start: until then the user has nothing to spend (0), not an error.
 */
export async function availableBalance(deps: Pick<FlowDeps, 'ledger' | 'asset'>, userId: string): Promise<bigint> {
  try {
    const balance = await callService('ledger', () => deps.ledger.call(getBalanceV1, { userId, asset: deps.asset.code }));
    return BigInt(balance.available);
  } catch (error) {
    if (error instanceof CommandError && error.code === LedgerCommandErrors.accountNotFound) return 0n;
    throw error;
  }
}
