import type { z } from 'zod';
import {
  ClaimStates,
  depositsOfTransaction,
  DepositStates,
  findDepositAddress,
  saveClaim,
  unresolvedClaims,
  CLAIMS_PER_PASS_MAX,
  type ChainRpcClient,
  type ClaimState,
} from '@strongbox/chain-data-access';
import type { claimDepositV1, depositClaimStatusSchema } from '@strongbox/shared-contracts';
import type { Database } from '@strongbox/shared-db';
import type { WatchedTokens } from './deposit.config';
import { TRANSFER_TOPIC } from './deposit.scanner';

// ---------------------------------------------------------------------------------------------
// Deposit claims: a user says "I sent it in this transaction". A claim never credits anything;
// it answers what the scanner knows, looks the transaction up on the node when the scanner has
// not reached it, and while the node is down is stored as pending_network_recovery and checked
// again once the recovery re-scan is done.
// ---------------------------------------------------------------------------------------------

type ClaimStatus = z.output<typeof depositClaimStatusSchema>;
type ClaimAnswer = z.input<(typeof claimDepositV1)['response']>;

export interface DepositClaims {
  /** Answers a claim; `nodeUp` false stores it as pending network recovery. */
  claim(input: { userId: string; txHash: string; nodeUp: boolean }): Promise<ClaimAnswer>;
  /** Re-checks unresolved claims against the deposits table (after a recovery re-scan); returns how many resolved. */
  recheckUnresolved(): Promise<number>;
}

export function createDepositClaims(options: {
  database: Pick<Database<Record<string, unknown>>, 'db'>;
  rpc: ChainRpcClient;
  tokens: WatchedTokens;
  requiredConfirmations: number;
  /** The durable scan cursor. */
  cursor: () => Promise<number>;
  now?: () => Date;
}): DepositClaims {
  const { database, rpc } = options;
  const chainId = rpc.chainId;
  const now = options.now ?? (() => new Date());
  const contracts = new Set(options.tokens.flatMap((asset) => asset.contracts.map((contract) => contract.address)));

  /** What the deposits table says of the user's deposits in the transaction; undefined when it has none that count. */
  const fromDeposits = async (userId: string, txHash: string): Promise<{ status: ClaimStatus; confirmations: number | null } | undefined> => {
    const rows = (await depositsOfTransaction(database.db, { chainId, userId, txHash })).filter(
      (row) => row.state === DepositStates.detected || row.state === DepositStates.confirmed,
    );
    if (rows.length === 0) return undefined;
    const cursor = await options.cursor();
    const counted = rows.filter((row) => !row.belowDustMinimum);
    const confirmationsOf = (blockNumber: number) => Math.max(0, cursor - blockNumber + 1);
    const [firstCounted] = counted;
    if (!firstCounted) return { status: 'below_dust_minimum', confirmations: confirmationsOf(rows[0]?.blockNumber ?? cursor + 1) };
    const confirmations = confirmationsOf(firstCounted.blockNumber);
    if (counted.every((row) => row.state === DepositStates.confirmed)) return { status: 'confirmed', confirmations };
    return { status: 'awaiting_confirmations', confirmations };
  };

  const stateOf = (status: ClaimStatus): ClaimState =>
    status === 'confirmed' || status === 'below_dust_minimum' ? ClaimStates.resolved : status === 'pending_network_recovery' ? ClaimStates.pendingNetworkRecovery : ClaimStates.open;

  return {
    async claim({ userId, txHash, nodeUp }) {
      const answer = (status: ClaimStatus, confirmations: number | null): ClaimAnswer => ({
        userId,
        txHash,
        status,
        confirmations,
        requiredConfirmations: options.requiredConfirmations,
      });
      const known = await fromDeposits(userId, txHash);
      let found = known;
      if (!found && !nodeUp) {
        await saveClaim(database.db, { chainId, userId, txHash, state: ClaimStates.pendingNetworkRecovery, lastStatus: 'pending_network_recovery', now: now() });
        return answer('pending_network_recovery', null);
      }
      if (!found) {
        // Not scanned yet (or never ours): ask the node. A match only says "wait"; crediting is the scanner's.
        const address = await findDepositAddress(database.db, userId, chainId);
        const receipt = address ? await rpc.transactionReceipt(txHash) : null;
        const toTopic = address ? `0x${'0'.repeat(24)}${address.address.slice(2)}` : undefined;
        const paysUser = receipt?.logs.some((log) => contracts.has(log.address) && log.topics[0] === TRANSFER_TOPIC && log.topics[2] === toTopic) ?? false;
        if (receipt && paysUser) {
          const cursor = await options.cursor();
          found = { status: 'awaiting_confirmations', confirmations: Math.max(0, cursor - receipt.blockNumber + 1) };
        } else {
          found = { status: 'not_found', confirmations: null };
        }
      }
      await saveClaim(database.db, { chainId, userId, txHash, state: stateOf(found.status), lastStatus: found.status, now: now() });
      return answer(found.status, found.confirmations);
    },

    async recheckUnresolved() {
      let resolved = 0;
      for (const claim of await unresolvedClaims(database.db, chainId, CLAIMS_PER_PASS_MAX)) {
        const found = await fromDeposits(claim.userId, claim.txHash);
        const status: ClaimStatus = found?.status ?? 'not_found';
        const state = stateOf(status);
        if (state === ClaimStates.resolved) resolved += 1;
        await saveClaim(database.db, { chainId, userId: claim.userId, txHash: claim.txHash, state, lastStatus: status, now: now() });
      }
      return resolved;
    },
  };
}
