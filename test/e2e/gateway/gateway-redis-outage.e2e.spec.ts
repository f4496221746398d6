// Acceptance, as real processes: Redis stopped in the middle of a withdrawal dialog. All five built
// services run against the shared PostgreSQL and NATS, anvil, the Bot API emulator and a PRIVATE
// redis-server. A funded user opens the withdrawal dialog and enters the amount; Redis is killed;
// the user enters the address and gets the confirmation screen with the amount entered before the
// outage (the dialog went on from PostgreSQL: the session row is marked needs_sync). Redis is
// restarted empty: the gateway's sync puts the newest dialog state back (Redis's version and value
// equal PostgreSQL's, nothing left to sync). Confirm is pressed twice with two update ids: one
// withdrawal, the second press answered "already done".
import { isDeepStrictEqual } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Redis } from 'ioredis';
import { redisKeyPrefix } from '@strongbox/shared-contracts';
import { startPrivateRedis, waitFor, type EmulatedUser, type PrivateServer, type SentMessage } from '@strongbox/shared-testing';
import { startE2eStack, type E2eStack } from '../support/e2e-stack';

const WAIT_MS = 60_000;
const USDT = 1_000_000n;
const DESTINATION = '0x70997970C51812dc3A010C7d01b50e0d17dc79C8';
const user: EmulatedUser = { userId: 820_001, firstName: 'Ann', languageCode: 'en' };

let redis: PrivateServer;
let e2e: E2eStack;

beforeAll(async () => {
  redis = await startPrivateRedis();
  e2e = await startE2eStack({
    redisUrl: redis.url,
    extraEnv: {
      // One confirmation: the user's deposit is credited as soon as its block exists.
      'chain-watcher': { CHAIN_CONFIRMATIONS: '1' },
      'bot-gateway': { SESSION_SYNC_INTERVAL_MS: '200' },
    },
  });
}, 180_000);

afterAll(async () => {
  await e2e?.teardown();
  await redis?.stop();
}, 60_000);

interface SessionRow {
  value: unknown;
  version: string;
  needs_sync: boolean;
}

const sessionKey = `user:${user.userId}`;

async function pgSession(): Promise<SessionRow | undefined> {
  const [row] = await e2e.rows<{ value: unknown; version: string; needs_sync: boolean }>('bot-gateway', 'select value, version::text as version, needs_sync from %schema%.sessions where key = $1', [sessionKey]);
  return row;
}

async function redisSession(): Promise<{ version: string; value: unknown } | undefined> {
  const client = new Redis(redis.url, { maxRetriesPerRequest: 0, connectTimeout: 1_000, retryStrategy: () => null, lazyConnect: true });
  client.on('error', () => undefined);
  try {
    await client.connect();
    const [version, json] = await client.hmget(`${redisKeyPrefix(e2e.namespace, 'bot-gateway')}session:${sessionKey}`, 'v', 'd');
    return version ? { version, value: json ? (JSON.parse(json) as unknown) : null } : undefined;
  } finally {
    client.disconnect();
  }
}

/** Waits until Redis holds exactly PostgreSQL's newest session, with nothing left to sync. */
async function waitUntilRedisCaughtUp(description: string): Promise<SessionRow> {
  return waitFor(
    async () => {
      const row = await pgSession();
      const cached = await redisSession();
      return row && !row.needs_sync && cached?.version === row.version && isDeepStrictEqual(cached.value, row.value) ? row : undefined;
    },
    { timeoutMs: WAIT_MS, description },
  );
}

function buttonData(message: SentMessage, label: RegExp): string {
  const markup = message.replyMarkup as { inline_keyboard?: { text: string; callback_data?: string }[][] } | undefined;
  const button = markup?.inline_keyboard?.flat().find((candidate) => label.test(candidate.text));
  if (!button?.callback_data) throw new Error(`no button ${label} under "${message.text}"`);
  return button.callback_data;
}

async function said(text: string, expected: RegExp): Promise<SentMessage> {
  const before = e2e.emulator.sentMessages(user.userId).length;
  await e2e.emulator.sendMessage(user, text);
  return waitFor(() => e2e.emulator.sentMessages(user.userId).slice(before).find((message) => expected.test(message.text ?? '')), {
    timeoutMs: WAIT_MS,
    description: `a reply matching ${expected}`,
  });
}

describe('Redis stopped in the middle of a withdrawal dialog (real processes)', () => {
  it('continues from PostgreSQL, is back in Redis after the restart, and withdraws once', async () => {
    const menu = await said('/start', /What would you like to do\?/);
    await waitFor(async () => (await e2e.rows('chain-watcher', 'select 1 from %schema%.deposit_addresses')).length === 1, {
      timeoutMs: WAIT_MS,
      description: 'the deposit address assigned',
    });
    const [deposit] = await e2e.rows<{ address: string }>('chain-watcher', 'select address from %schema%.deposit_addresses');
    await e2e.token.mint(deposit!.address, 50n * USDT);
    await e2e.emulator.waitForMessage((message) => message.chatId === user.userId && /confirmed and credited/.test(message.text ?? ''), { timeoutMs: WAIT_MS });

    await e2e.emulator.pressButton(user, menu, buttonData(menu, /Withdraw/));
    await e2e.emulator.waitForMessage((message) => message.chatId === user.userId && /How much USDT/.test(message.text ?? ''), { timeoutMs: WAIT_MS });
    await said('12.5', /Send the address/);
    const beforeOutage = await waitUntilRedisCaughtUp('the amount step in Redis');
    expect(JSON.stringify(beforeOutage.value)).toContain('"12500000"');

    await redis.kill();
    const confirmation = await said(DESTINATION, /Please check the withdrawal/);
    expect(confirmation.text).toContain('12.5');
    expect(confirmation.text).toContain(DESTINATION);
    const duringOutage = await waitFor(
      async () => {
        const row = await pgSession();
        return row && BigInt(row.version) > BigInt(beforeOutage.version) ? row : undefined;
      },
      { timeoutMs: WAIT_MS, description: 'the session written during the outage' },
    );
    expect(duringOutage.needs_sync).toBe(true);

    await redis.restart();
    const afterRestart = await waitUntilRedisCaughtUp('the dialog state back in Redis');
    expect(BigInt(afterRestart.version)).toBeGreaterThanOrEqual(BigInt(duringOutage.version));
    expect(JSON.stringify(afterRestart.value)).toContain(DESTINATION);

    const confirmData = buttonData(confirmation, /Confirm/);
    await e2e.emulator.pressButton(user, confirmation, confirmData);
    await e2e.emulator.waitForMessage((message) => message.chatId === user.userId && /Withdrawal accepted/.test(message.text ?? ''), { timeoutMs: WAIT_MS });
    await e2e.emulator.pressButton(user, confirmation, confirmData);
    await e2e.emulator.waitForMessage((message) => message.chatId === user.userId && /Already done/.test(message.text ?? ''), { timeoutMs: WAIT_MS });
    const withdrawals = await e2e.rows<{ amount: string }>('ledger', 'select amount::text as amount from %schema%.withdrawals');
    expect(withdrawals).toEqual([{ amount: String(12_500_000n) }]);
  });
});
