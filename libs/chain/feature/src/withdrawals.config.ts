import { getAddress } from 'ethers';
import { z } from 'zod';
import { secret, strictInteger } from '@strongbox/shared-config';
import type { WatchedTokens } from './deposit.config';

// ---------------------------------------------------------------------------------------------
// The withdrawal sender's environment variables, spread into chain-watcher's config schema
// (apps/chain-watcher/src/config.ts), so the app and the tests read the same definitions.
// ---------------------------------------------------------------------------------------------

/** An asset the sender can pay out: its ERC-20 contract and decimals (which the contract must report). */
export interface WithdrawalToken {
  readonly asset: string;
  /** Checksummed. */
  readonly contract: string;
  readonly decimals: number;
}

/** Crash points a test may ask for; see `CHAIN_WITHDRAWAL_TEST_CRASH_POINT`. */
export const WithdrawalCrashPoints = {
  /** Right after the signed transaction and its nonce are committed, before anything is sent. */
  afterPersist: 'after-persist',
  /** Right after the node accepted the transaction, before that is recorded. */
  afterBroadcast: 'after-broadcast',
} as const;
export type WithdrawalCrashPoint = (typeof WithdrawalCrashPoints)[keyof typeof WithdrawalCrashPoints];

const WEI_PATTERN = /^(?:0|[1-9][0-9]{0,30})$/;

/**
 * The tokens withdrawals pay out, from the deposit side's CHAIN_DEPOSIT_TOKENS (one source of truth
 * for asset → contract and decimals): each asset's current contract, the one without a `toBlock`.
 * An asset with no current contract, or more than one, cannot be paid out and is left out.
 */
export function withdrawalTokensFrom(watched: WatchedTokens): WithdrawalToken[] {
  return watched.flatMap((asset) => {
    const current = asset.contracts.filter((contract) => contract.toBlock === null);
    const only = current[0];
    return current.length === 1 && only ? [{ asset: asset.asset, contract: getAddress(only.address), decimals: asset.decimals }] : [];
  });
}

/** A wei amount in decimal digits, as a bigint. */
function wei() {
  return z
    .string()
    .regex(WEI_PATTERN, 'must be an amount in wei: decimal digits, no sign, fraction or leading zeros')
    .transform((value) => BigInt(value));
}

/** The withdrawal sender's variables; every one is optional or has a default. */
export const chainWithdrawalEnv = z.object({
  CHAIN_HOT_WALLET_PRIVATE_KEY: secret(z.string().min(1))
    .optional()
    .describe(
      'Private key of the hot wallet that signs withdrawals: 64 hex digits, or the same encrypted (sbhw1.…, see CHAIN_HOT_WALLET_ENCRYPTION_KEY). Unset: withdrawals are not sent.',
    ),
  CHAIN_HOT_WALLET_ENCRYPTION_KEY: secret(z.string().regex(/^[0-9a-fA-F]{64}$/, 'must be 64 hex digits (a 32-byte AES-256-GCM key)'))
    .optional()
    .describe('AES-256-GCM key (64 hex digits) that decrypts an encrypted CHAIN_HOT_WALLET_PRIVATE_KEY.'),
  CHAIN_WITHDRAWAL_CONFIRMATIONS: strictInteger({ min: 1, max: 1_000 }).default(12).describe('Blocks a withdrawal transaction needs (its own included) before confirmed or reverted is published.'),
  CHAIN_WITHDRAWAL_POLL_INTERVAL_MS: strictInteger({ min: 100, max: 60_000 }).default(2_000).describe('How often sent withdrawals are checked.'),
  CHAIN_WITHDRAWAL_STUCK_AFTER_MS: strictInteger({ min: 500, max: 86_400_000 })
    .default(180_000)
    .describe('A sent transaction without a receipt this long after its last attempt is replaced with a higher fee.'),
  CHAIN_WITHDRAWAL_FEE_BUMP_PERCENT: strictInteger({ min: 10, max: 500 })
    .default(25)
    .describe('How much a replacement raises both fees, in percent; the node requires at least 10.'),
  CHAIN_WITHDRAWAL_MAX_FEE_PER_GAS_WEI: wei().default(500_000_000_000n).describe('Highest maxFeePerGas any attempt may offer, in wei.'),
  CHAIN_WITHDRAWAL_ATTEMPTS_MAX: strictInteger({ min: 1, max: 20 }).default(5).describe('Signed attempts per withdrawal at most (the first and its replacements).'),
  CHAIN_WITHDRAWAL_GAS_LIMIT: strictInteger({ min: 21_000, max: 1_000_000 }).default(100_000).describe('Gas limit of a token transfer.'),
  CHAIN_WITHDRAWAL_TEST_CRASH_POINT: z
    .enum([WithdrawalCrashPoints.afterPersist, WithdrawalCrashPoints.afterBroadcast])
    .optional()
    .describe('Tests only (refused unless NODE_ENV=test): the process kills itself with SIGKILL at this point of the first withdrawal it sends.'),
});

/** The withdrawal sender's config, as parsed. */
export type ChainWithdrawalConfig = z.output<typeof chainWithdrawalEnv>;
