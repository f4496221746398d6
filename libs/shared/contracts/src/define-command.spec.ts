import { z } from 'zod';
import { describe, expect, it } from 'vitest';
import { commandReplySchema, commandTypeSubject, defineCommand, idempotencyKeySchema } from './define-command';
import { ContractErrorCodes } from './errors';
import { allCommands, getReferralStatsV1, transferV1 } from './ledger.commands';
import { listPlanDepositsV1 } from './plan.commands';

const base = {
  context: 'ledger' as const,
  name: 'do-something',
  version: 1,
  description: 'Does something.',
  idempotent: false,
  request: z.object({ userId: z.uuid() }),
  response: z.object({ done: z.boolean() }),
};

describe('defineCommand', () => {
  it('builds the versioned type and subject', () => {
    const command = defineCommand(base);
    expect(command.type).toBe('ledger.cmd.do-something.v1');
    expect(commandTypeSubject('sb', command)).toBe('sb.ledger.cmd.do-something.v1');
    expect(command.errors).toEqual([]);
  });

  it.each([
    ['an unknown context', { context: 'bank' as never }, 'context "bank"'],
    ['a dotted name', { name: 'do.it' }, 'name "do.it"'],
    ['an upper-case name', { name: 'DoIt' }, 'name "DoIt"'],
    ['version 0', { version: 0 }, 'version must be'],
    ['a fractional version', { version: 1.5 }, 'version must be'],
    ['an empty description', { description: '  ' }, 'description is empty'],
    ['an idempotent command without a key', { idempotent: true }, 'idempotencyKey'],
  ])('refuses %s', (_name, override, problem) => {
    expect(() => defineCommand({ ...base, ...override })).toThrow(
      expect.objectContaining({ code: ContractErrorCodes.invalidDefinition, message: expect.stringContaining(problem) }),
    );
  });
});

describe('the command catalogue', () => {
  it('has unique types, and every money command takes an idempotency key', () => {
    const types = allCommands.map((command) => command.type);
    expect(new Set(types).size).toBe(types.length);
    for (const command of allCommands) {
      if (command.idempotent) expect(Object.keys((command.request as z.ZodObject).shape)).toContain('idempotencyKey');
    }
  });

  it('reads amounts as decimal strings of minor units, refusing floats, signs and exponents', () => {
    const request = { idempotencyKey: 'key-00000001', fromUserId: '019a7c3e-5b1f-7d2a-8c3e-4f5a6b7c8d9e', toUserId: '019a7c3e-5b1f-7d2a-8c3e-4f5a6b7c8d9f', asset: 'USDT' };
    expect(transferV1.request.safeParse({ ...request, amount: '1500000' }).success).toBe(true);
    for (const amount of ['0', '-1', '1.5', '1e6', '01', 1500000, '']) {
      expect(transferV1.request.safeParse({ ...request, amount }).success).toBe(false);
    }
  });
});

describe('bot reads of plans and referrals', () => {
  const userId = '019a7c3e-5b1f-7d2a-8c3e-4f5a6b7c8d9e';

  it('lists plan deposits with a bounded limit', () => {
    expect(listPlanDepositsV1.request.parse({ userId })).toEqual({ userId, limit: 50 });
    expect(listPlanDepositsV1.request.safeParse({ userId, limit: 51 }).success).toBe(false);
    const deposit = {
      depositId: '019a7c3e-5b1f-7d2a-8c3e-4f5a6b7c8d9f',
      userId,
      planCode: 'flex-30',
      planVersion: 1,
      asset: 'USDT',
      principal: '100000000',
      rateBps: 450,
      termDays: 30,
      openedAt: '2026-11-01T10:00:00.000Z',
      maturesAt: '2026-12-01T10:00:00.000Z',
      state: 'open',
      accruedTotal: '0',
    };
    expect(listPlanDepositsV1.response.safeParse({ deposits: [deposit] }).success).toBe(true);
    expect(listPlanDepositsV1.response.safeParse({ deposits: [{ ...deposit, accruedTotal: '-1' }] }).success).toBe(false);
  });

  it('answers referral stats with rewards per asset and the reward on offer', () => {
    const stats = { invited: 2, rewardsPaid: [{ asset: 'USDT', amount: '5000000', count: 1 }], reward: { asset: 'USDT', amount: '5000000' } };
    expect(getReferralStatsV1.response.safeParse(stats).success).toBe(true);
    expect(getReferralStatsV1.response.safeParse({ ...stats, reward: { asset: 'USDT', amount: '0' } }).success).toBe(true);
    expect(getReferralStatsV1.response.safeParse({ ...stats, invited: -1 }).success).toBe(false);
    expect(getReferralStatsV1.response.safeParse({ ...stats, rewardsPaid: [{ asset: 'USDT', amount: '0', count: 1 }] }).success).toBe(false);
  });
});

describe('wire schemas', () => {
  it.each(['short', 'has space in it', 'x'.repeat(129), 'semi;colon12'])('refuses the idempotency key %j', (key) => {
    expect(idempotencyKeySchema.safeParse(key).success).toBe(false);
  });

  it('parses both reply shapes and refuses anything else', () => {
    expect(commandReplySchema.safeParse({ ok: true, result: { any: 1 } }).success).toBe(true);
    expect(commandReplySchema.safeParse({ ok: false, error: { code: 'X', message: 'm', retryable: false } }).success).toBe(true);
    expect(commandReplySchema.safeParse({ ok: false, error: { code: 'X' } }).success).toBe(false);
    expect(commandReplySchema.safeParse({ result: 1 }).success).toBe(false);
  });
});
