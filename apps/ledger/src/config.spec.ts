// Proves the ledger's own config keys of the withdrawal lifecycle and referral rewards: their
// defaults, that good values load, and that each bad value (or a reward in an asset the ledger does
// not serve) is refused at start with the variable named, through the same loader the process uses.
import { describe, expect, it } from 'vitest';
import { ConfigError, loadConfig } from '@strongbox/shared-config';
import { ledgerConfigSchema } from './config';

const BASE = { STRONGBOX_NAMESPACE: 'cfg', NATS_URL: 'nats://127.0.0.1:4222', DATABASE_URL: 'postgres://ledger:secret@127.0.0.1:5432/test' };

function load(env: Record<string, string>) {
  return loadConfig(ledgerConfigSchema, { ...BASE, ...env }, { secretKeys: ['DATABASE_URL'] });
}

describe('ledger config: withdrawal lifecycle and referral rewards', () => {
  it('defaults: 60 s cooling, a pass every 5 s, no referral reward, paid in USDT', () => {
    expect(load({})).toMatchObject({
      LEDGER_WITHDRAWAL_COOLING_MS: 60_000,
      LEDGER_WITHDRAWAL_AUTO_APPROVAL_INTERVAL_MS: 5_000,
      LEDGER_REFERRAL_REWARD_MINOR: 0n,
      LEDGER_REFERRAL_REWARD_ASSET: 'USDT',
    });
  });

  it('loads good values', () => {
    expect(
      load({ LEDGER_WITHDRAWAL_COOLING_MS: '0', LEDGER_WITHDRAWAL_AUTO_APPROVAL_INTERVAL_MS: '100', LEDGER_ASSETS: 'USDT,USDC', LEDGER_REFERRAL_REWARD_ASSET: 'USDC', LEDGER_REFERRAL_REWARD_MINOR: '2500000' }),
    ).toMatchObject({ LEDGER_WITHDRAWAL_COOLING_MS: 0, LEDGER_WITHDRAWAL_AUTO_APPROVAL_INTERVAL_MS: 100, LEDGER_REFERRAL_REWARD_ASSET: 'USDC', LEDGER_REFERRAL_REWARD_MINOR: 2_500_000n });
  });

  it.each([
    ['a negative cooling window', { LEDGER_WITHDRAWAL_COOLING_MS: '-1' }, 'LEDGER_WITHDRAWAL_COOLING_MS'],
    ['a cooling window over a day', { LEDGER_WITHDRAWAL_COOLING_MS: '86400001' }, 'LEDGER_WITHDRAWAL_COOLING_MS'],
    ['a cooling window in exponent form', { LEDGER_WITHDRAWAL_COOLING_MS: '6e4' }, 'LEDGER_WITHDRAWAL_COOLING_MS'],
    ['an auto-approval interval under 100 ms', { LEDGER_WITHDRAWAL_AUTO_APPROVAL_INTERVAL_MS: '99' }, 'LEDGER_WITHDRAWAL_AUTO_APPROVAL_INTERVAL_MS'],
    ['a reward with a fraction', { LEDGER_REFERRAL_REWARD_MINOR: '1.5' }, 'LEDGER_REFERRAL_REWARD_MINOR'],
    ['a negative reward', { LEDGER_REFERRAL_REWARD_MINOR: '-5' }, 'LEDGER_REFERRAL_REWARD_MINOR'],
    ['a reward asset in lower case', { LEDGER_REFERRAL_REWARD_ASSET: 'usdt' }, 'LEDGER_REFERRAL_REWARD_ASSET'],
    ['a reward in an asset the ledger does not serve', { LEDGER_REFERRAL_REWARD_MINOR: '1', LEDGER_REFERRAL_REWARD_ASSET: 'USDC' }, 'LEDGER_REFERRAL_REWARD_ASSET'],
  ])('refuses %s, naming the variable', (_what, env, variable) => {
    let caught: unknown;
    try {
      load(env);
    } catch (error) {
      caught = error;
    }
    expect(caught).toBeInstanceOf(ConfigError);
    expect((caught as Error).message).toContain(variable);
    expect((caught as Error).message).not.toContain('secret@');
  });

  it('accepts a reward asset the ledger does not serve while the reward is 0 (rewards off)', () => {
    expect(load({ LEDGER_REFERRAL_REWARD_ASSET: 'USDC' }).LEDGER_REFERRAL_REWARD_MINOR).toBe(0n);
  });
});
