// Proves the deposit token list is parsed strictly, case by case: a valid list (with a migrated
// token: old contract with an end block, new one from its first block) comes out with lower-case
// addresses and bigint dust minimums; every malformed list is refused with a message naming the problem.
import { describe, expect, it } from 'vitest';
import { firstWatchedBlock, watchedTokensEnv } from './deposit.config';

const OLD = '0x5FbDB2315678afecb367f032d93F642f64180aa3';
const NEW = '0xe7f1725E7734CE288F8367e1Bb143E90bb3F0512';
const asset = (overrides: Record<string, unknown> = {}) => ({
  asset: 'USDT',
  decimals: 6,
  dustMinimumMinor: '10000',
  contracts: [{ address: OLD, fromBlock: 100, toBlock: 199 }, { address: NEW, fromBlock: 200 }],
  ...overrides,
});

describe('CHAIN_DEPOSIT_TOKENS', () => {
  it('parses a migrated token: both contracts, lower-case, with their ranges', () => {
    const parsed = watchedTokensEnv().parse(JSON.stringify([asset()]));
    expect(parsed).toEqual([
      {
        asset: 'USDT',
        decimals: 6,
        dustMinimumMinor: 10_000n,
        contracts: [
          { address: OLD.toLowerCase(), fromBlock: 100, toBlock: 199 },
          { address: NEW.toLowerCase(), fromBlock: 200, toBlock: null },
        ],
      },
    ]);
    expect(firstWatchedBlock(parsed)).toBe(100);
  });

  it.each([
    { text: 'not json', problem: 'must be a JSON list of assets' },
    { text: '[]', problem: 'Too small' },
    { text: JSON.stringify([asset({ asset: 'usdt' })]), problem: 'asset code' },
    { text: JSON.stringify([asset({ dustMinimumMinor: '1e6' })]), problem: 'minor units' },
    { text: JSON.stringify([asset({ dustMinimumMinor: 10_000 })]), problem: 'expected string' },
    { text: JSON.stringify([asset({ decimals: 6.5 })]), problem: 'expected int' },
    { text: JSON.stringify([asset({ contracts: [] })]), problem: 'Too small' },
    { text: JSON.stringify([asset({ contracts: [{ address: '0x1234', fromBlock: 0 }] })]), problem: '20-byte address' },
    { text: JSON.stringify([asset({ contracts: [{ address: OLD, fromBlock: 10, toBlock: 9 }] })]), problem: 'toBlock must not be below fromBlock' },
    { text: JSON.stringify([asset({ contracts: [{ address: OLD, fromBlock: -1 }] })]), problem: 'Too small' },
    { text: JSON.stringify([asset({ extra: true })]), problem: 'Unrecognized key' },
    { text: JSON.stringify([asset(), asset()]), problem: 'listed twice' },
    { text: JSON.stringify([asset(), asset({ asset: 'USDC' })]), problem: `contract ${OLD.toLowerCase()} is listed twice` },
  ])('refuses $text', ({ text, problem }) => {
    const result = watchedTokensEnv().safeParse(text);
    expect(result.success).toBe(false);
    expect(result.error?.issues.map((issue) => issue.message).join(' | ')).toContain(problem);
  });
});
