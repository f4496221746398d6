// Proves the withdrawal sender's config: the payable tokens are each asset's one current contract
// from CHAIN_DEPOSIT_TOKENS (checksummed), and the CHAIN_WITHDRAWAL_* variables parse strictly —
// defaults when unset, wei as bigint, the node's 10 % replacement floor, the crash hook's values.
import { describe, expect, it } from 'vitest';
import { chainWithdrawalEnv, withdrawalTokensFrom } from './withdrawals.config';
import { watchedTokensSchema } from './deposit.config';

const A = '0x5fbdb2315678afecb367f032d93f642f64180aa3';
const B = '0xe7f1725e7734ce288f8367e1bb143e90bb3f0512';

describe('withdrawalTokensFrom', () => {
  it("pays each asset out of its current contract, and leaves out an asset without exactly one", () => {
    const watched = watchedTokensSchema.parse([
      { asset: 'USDT', decimals: 6, dustMinimumMinor: '0', contracts: [{ address: B, fromBlock: 0, toBlock: 99 }, { address: A, fromBlock: 100, toBlock: null }] },
      { asset: 'OLD', decimals: 18, dustMinimumMinor: '0', contracts: [{ address: '0x0000000000000000000000000000000000000001', fromBlock: 0, toBlock: 5 }] },
    ]);
    expect(withdrawalTokensFrom(watched)).toEqual([{ asset: 'USDT', contract: '0x5FbDB2315678afecb367f032d93F642f64180aa3', decimals: 6 }]);
  });
});

describe('chainWithdrawalEnv', () => {
  it('gives every setting a default when unset', () => {
    expect(chainWithdrawalEnv.parse({})).toEqual({
      CHAIN_WITHDRAWAL_CONFIRMATIONS: 12,
      CHAIN_WITHDRAWAL_POLL_INTERVAL_MS: 2_000,
      CHAIN_WITHDRAWAL_STUCK_AFTER_MS: 180_000,
      CHAIN_WITHDRAWAL_FEE_BUMP_PERCENT: 25,
      CHAIN_WITHDRAWAL_MAX_FEE_PER_GAS_WEI: 500_000_000_000n,
      CHAIN_WITHDRAWAL_ATTEMPTS_MAX: 5,
      CHAIN_WITHDRAWAL_GAS_LIMIT: 100_000,
    });
  });

  it.each([
    ['CHAIN_WITHDRAWAL_FEE_BUMP_PERCENT', '9'],
    ['CHAIN_WITHDRAWAL_FEE_BUMP_PERCENT', '12.5'],
    ['CHAIN_WITHDRAWAL_MAX_FEE_PER_GAS_WEI', '1e12'],
    ['CHAIN_WITHDRAWAL_MAX_FEE_PER_GAS_WEI', '-1'],
    ['CHAIN_WITHDRAWAL_MAX_FEE_PER_GAS_WEI', '0100'],
    ['CHAIN_WITHDRAWAL_CONFIRMATIONS', '0'],
    ['CHAIN_WITHDRAWAL_ATTEMPTS_MAX', '21'],
    ['CHAIN_WITHDRAWAL_GAS_LIMIT', '20999'],
    ['CHAIN_WITHDRAWAL_TEST_CRASH_POINT', 'before-sign'],
    ['CHAIN_HOT_WALLET_ENCRYPTION_KEY', 'not-hex'],
  ])('refuses %s=%s', (key, value) => {
    expect(chainWithdrawalEnv.safeParse({ [key]: value }).success).toBe(false);
  });

  it('reads wei as a bigint beyond 2^53', () => {
    expect(chainWithdrawalEnv.parse({ CHAIN_WITHDRAWAL_MAX_FEE_PER_GAS_WEI: '9007199254740993' }).CHAIN_WITHDRAWAL_MAX_FEE_PER_GAS_WEI).toBe(9_007_199_254_740_993n);
  });
});
