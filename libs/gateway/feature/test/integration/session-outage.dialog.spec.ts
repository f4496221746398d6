// Acceptance: Redis stopped in the middle of a withdrawal-like dialog. A three-step dialog
// (amount → address → confirm) keeps its state in grammY sessions on the versioned storage; a real
// grammY bot long-polls the Bot API emulator, and a private redis-server is killed after the
// amount was entered. The dialog continues from PostgreSQL (the address step still knows the
// amount), and once Redis is restarted (empty) the background sync puts the newest state back
// into Redis, where it equals PostgreSQL's; the dialog then finishes with nothing lost or stale.
import { Composer } from 'grammy';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { waitFor } from '@strongbox/shared-testing';
import { startSessionOutageHarness, type SessionContext, type SessionOutageHarness } from '../support/session-outage.harness';

interface DialogState {
  readonly step: 'idle' | 'amount' | 'address' | 'confirm';
  readonly amount?: string;
  readonly address?: string;
}

/** A stand-in for the withdrawal dialog: only the state handling matters here. */
function dialogComposer(): Composer<SessionContext<DialogState>> {
  const composer = new Composer<SessionContext<DialogState>>();
  composer.command('withdraw', async (ctx) => {
    ctx.session = { step: 'amount' };
    await ctx.reply('Amount?');
  });
  composer.on('message:text', async (ctx) => {
    const state = ctx.session;
    const text = ctx.message.text;
    if (state.step === 'amount') {
      ctx.session = { step: 'address', amount: text };
      await ctx.reply(`Address for ${text}?`);
    } else if (state.step === 'address') {
      ctx.session = { ...state, step: 'confirm', address: text };
      await ctx.reply(`Send ${state.amount} to ${text}? (yes/no)`);
    } else if (state.step === 'confirm' && text === 'yes') {
      ctx.session = { step: 'idle' };
      await ctx.reply(`Sent ${state.amount} to ${state.address}`);
    } else {
      await ctx.reply(`No dialog (${state.step})`);
    }
  });
  return composer;
}

let harness: SessionOutageHarness<DialogState>;

beforeAll(async () => {
  harness = await startSessionOutageHarness<DialogState>({ dialog: dialogComposer(), initial: () => ({ step: 'idle' }) });
});

afterAll(async () => {
  await harness?.dispose();
});

describe('a dialog across a Redis outage', () => {
  it('continues from PostgreSQL while Redis is down and is back in Redis, newest, after the restart', async () => {
    const { emulator } = harness;
    const user = { userId: 7_001, firstName: 'Ann', languageCode: 'en' };
    const key = harness.sessionKey(user.userId);
    const said = async (text: string, expected: string): Promise<void> => {
      const sent = emulator.sentMessages(user.userId).length;
      await emulator.sendMessage(user, text);
      const reply = await emulator.waitForMessage((m) => m.chatId === user.userId && m.messageId > 0 && m.text === expected, { timeoutMs: 10_000 });
      expect(reply.text).toBe(expected);
      expect(emulator.sentMessages(user.userId).length).toBe(sent + 1);
    };

    await said('/withdraw', 'Amount?');
    await said('12.5', 'Address for 12.5?');
    await harness.waitUntilRedisCaughtUp(key);
    const beforeOutage = await harness.pgEntry(key);
    expect(beforeOutage?.value).toEqual({ step: 'address', amount: '12.5' });

    await harness.redis.server.kill();
    await said('0xAbC', 'Send 12.5 to 0xAbC? (yes/no)');
    // grammY stores the session after the handler's reply, so the write is waited for.
    const duringOutage = await waitFor(async () => {
      const entry = await harness.pgEntry(key);
      return entry && entry.version > beforeOutage!.version ? entry : undefined;
    }, { timeoutMs: 10_000, description: 'the session written during the outage' });
    expect(duringOutage).toEqual({ value: { step: 'confirm', amount: '12.5', address: '0xAbC' }, version: beforeOutage!.version + 1n, needsSync: true });

    await harness.redis.server.restart();
    await harness.waitUntilRedisCaughtUp(key);
    expect(await harness.redisEntry(key)).toEqual({ version: duringOutage.version, value: { step: 'confirm', amount: '12.5', address: '0xAbC' } });
    expect(harness.storage.status()).toMatchObject({ breaker: 'closed', mayHaveUnsynced: false });

    await said('yes', 'Sent 12.5 to 0xAbC');
    // As above: the reply goes out before the session is stored, so the new version is waited for
    // first; otherwise Redis and PostgreSQL could be compared while both still hold the old one.
    await waitFor(async () => ((await harness.pgEntry(key))?.version ?? 0n) > duringOutage.version, {
      timeoutMs: 10_000,
      description: 'the session written after the confirmation',
    });
    await harness.waitUntilRedisCaughtUp(key);
    expect(await harness.redisEntry(key)).toEqual({ version: duringOutage.version + 1n, value: { step: 'idle' } });
  });
});
