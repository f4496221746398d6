// Proves the walking skeleton end to end, with all five services as real processes against the real
// PostgreSQL and NATS, anvil and the Bot API emulator: /start → bot-gateway registers the user and
// publishes `user registered` through its outbox → the ledger opens the account → the chain-watcher
// assigns the user's deposit address and the notifier sends the welcome in the user's language →
// admin-audit chains the events into its audit log. A second
// journey SIGKILLs the ledger right after `user registered` is published and restarts it: the account
// is opened once and the welcome is sent once.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { jetstreamManager } from '@nats-io/jetstream';
import { connect, type NatsConnection } from '@nats-io/transport-node';
import { durableName, eventSubject, streamName, StreamBases, userRegisteredV1 } from '@strongbox/shared-contracts';
import { waitUntilReady } from '@strongbox/shared-stack';
import { startPrivateRedis, TEST_NATS_URL, waitFor, type PrivateServer } from '@strongbox/shared-testing';
import { startE2eStack, type E2eStack } from './support/e2e-stack';

const WELCOME_EN = /Welcome to Strongbox/;
const WELCOME_RU = /Добро пожаловать в Strongbox/;

let e2e: E2eStack;
let nc: NatsConnection;
// A private Redis, so that the degradation test can kill it without touching the shared one.
let redis: PrivateServer;

beforeAll(async () => {
  redis = await startPrivateRedis();
  e2e = await startE2eStack({ redisUrl: redis.url });
  nc = await connect({ servers: TEST_NATS_URL });
}, 180_000);

afterAll(async () => {
  await nc?.close();
  await e2e?.teardown();
  await redis?.stop();
}, 60_000);

interface ReadyzBody {
  status: string;
  checks: Record<string, { status: string; required: boolean; detail?: Record<string, unknown> }>;
}

async function readyz(service: 'bot-gateway' | 'chain-watcher'): Promise<{ status: number; body: ReadyzBody }> {
  const response = await fetch(`${e2e.stack.services[service].opsUrl}/readyz`);
  return { status: response.status, body: (await response.json()) as ReadyzBody };
}

/** Waits until the durable consumers of the journey have nothing pending or unacknowledged. */
async function waitUntilSettled(): Promise<void> {
  const jsm = await jetstreamManager(nc);
  const durables: Array<[string, string]> = [
    [streamName(e2e.namespace, StreamBases.bot), durableName('ledger', 'open-account', 'user-registered')],
    [streamName(e2e.namespace, StreamBases.bot), durableName('notifier', 'track-recipient', 'user-registered')],
    [streamName(e2e.namespace, StreamBases.ledger), durableName('notifier', 'welcome', 'account-opened')],
    [streamName(e2e.namespace, StreamBases.ledger), durableName('admin-audit', 'append', 'ledger-events')],
    [streamName(e2e.namespace, StreamBases.bot), durableName('admin-audit', 'append', 'bot-events')],
    [streamName(e2e.namespace, StreamBases.notify), durableName('admin-audit', 'append', 'notify-events')],
  ];
  await waitFor(
    async () => {
      for (const [stream, durable] of durables) {
        const info = await jsm.consumers.info(stream, durable);
        if (info.num_pending > 0 || info.num_ack_pending > 0) return false;
      }
      return true;
    },
    { timeoutMs: 30_000, intervalMs: 200, description: 'journey consumers settled' },
  );
}

describe('walking skeleton', () => {
  it('/start registers the user, opens the account, welcomes in the user language and audits both events', async () => {
    const user = { userId: 700_001, firstName: 'Ivan', languageCode: 'ru' };
    await e2e.emulator.sendMessage(user, '/start');

    const welcome = await e2e.emulator.waitForMessage((m) => m.chatId === user.userId && WELCOME_RU.test(m.text ?? ''), { timeoutMs: 30_000 });
    expect(welcome.text).toMatch(WELCOME_RU);

    const [registered] = await e2e.rows<{ id: string; language_code: string }>('bot-gateway', 'select id, language_code from %schema%.users where telegram_user_id = $1', [
      user.userId,
    ]);
    expect(registered?.language_code).toBe('ru');
    const accounts = await e2e.rows('ledger', "select * from %schema%.accounts where user_id = $1 and kind = 'user_available'", [registered!.id]);
    expect(accounts).toHaveLength(1);

    // The delivery event leaves the notifier's outbox after the send, so it reaches the audit log a
    // little after the welcome: wait for all of them rather than for a quiet moment.
    const journeyEvents = [
      'bot.evt.user.registered.v1',
      'ledger.evt.account.opened.v1',
      'chain.evt.deposit-address.assigned.v1',
      'notify.evt.message.delivered.v1',
    ];
    const audited = await waitFor(
      async () => {
        const rows = await e2e.rows<{ event_type: string }>('admin-audit', 'select event_type from %schema%.audit_log where subject = $1 order by seq', [
          registered!.id,
        ]);
        const types = rows.map((row) => row.event_type);
        return journeyEvents.every((type) => types.includes(type)) ? types : undefined;
      },
      { timeoutMs: 30_000, intervalMs: 200, description: 'the journey events in the audit log' },
    );
    expect([...audited].sort()).toEqual([...journeyEvents].sort());
    await waitUntilSettled();

    // A second /start changes nothing: no new user, no second welcome.
    await e2e.emulator.sendMessage(user, '/start');
    await waitUntilSettled();
    const users = await e2e.rows('bot-gateway', 'select * from %schema%.users where telegram_user_id = $1', [user.userId]);
    expect(users).toHaveLength(1);
    expect(e2e.emulator.sentMessages(user.userId).filter((m) => WELCOME_RU.test(m.text ?? ''))).toHaveLength(1);
  });

  it('a ledger SIGKILLed right after `user registered` is published opens the account once and the user is welcomed once', async () => {
    const user = { userId: 700_002, firstName: 'Alice', languageCode: 'en' };
    const ledger = e2e.stack.services.ledger;
    const subscription = nc.subscribe(eventSubject(e2e.namespace, userRegisteredV1.type), { max: 1 });
    await nc.flush();
    const killed = (async () => {
      for await (const message of subscription) {
        const event = userRegisteredV1.parse(message.json());
        if (event.data.telegramUserId === String(user.userId)) return ledger.kill('SIGKILL');
      }
      throw new Error('subscription ended without the registration');
    })();

    await e2e.emulator.sendMessage(user, '/start');
    const exit = await killed;
    expect(exit.signal).toBe('SIGKILL');

    ledger.start();
    await waitUntilReady(ledger, 60_000);
    await e2e.emulator.waitForMessage((m) => m.chatId === user.userId && WELCOME_EN.test(m.text ?? ''), { timeoutMs: 60_000 });
    await waitUntilSettled();

    const [registered] = await e2e.rows<{ id: string }>('bot-gateway', 'select id from %schema%.users where telegram_user_id = $1', [user.userId]);
    const accounts = await e2e.rows('ledger', "select * from %schema%.accounts where user_id = $1 and kind = 'user_available'", [registered!.id]);
    expect(accounts).toHaveLength(1);
    const opened = await e2e.rows('admin-audit', `select * from %schema%.audit_log where subject = $1 and event_type = 'ledger.evt.account.opened.v1'`, [
      registered!.id,
    ]);
    expect(opened).toHaveLength(1);
    expect(e2e.emulator.sentMessages(user.userId).filter((m) => WELCOME_EN.test(m.text ?? ''))).toHaveLength(1);
  });

  it('chain-watcher reports the head block of the node in /readyz', async () => {
    const { status, body } = await readyz('chain-watcher');
    expect(status).toBe(200);
    expect(body.checks['chain']?.status).toBe('up');
    expect(typeof body.checks['chain']?.detail?.['headBlock']).toBe('number');
  });

  it('with Redis killed the bot-gateway stays ready, lists Redis as down, and the journey still completes', async () => {
    expect((await readyz('bot-gateway')).body.checks['redis']).toMatchObject({ status: 'up', required: false });

    await redis.kill();
    await waitFor(async () => (await readyz('bot-gateway')).body.checks['redis']?.status === 'down', {
      timeoutMs: 15_000,
      intervalMs: 200,
      description: 'bot-gateway /readyz lists redis down',
    });
    const degraded = await readyz('bot-gateway');
    expect(degraded.status).toBe(200);
    expect(degraded.body.status).toBe('ready');

    const user = { userId: 700_003, firstName: 'Bob', languageCode: 'en' };
    await e2e.emulator.sendMessage(user, '/start');
    await e2e.emulator.waitForMessage((m) => m.chatId === user.userId && WELCOME_EN.test(m.text ?? ''), { timeoutMs: 30_000 });

    await redis.restart();
    await waitFor(async () => (await readyz('bot-gateway')).body.checks['redis']?.status === 'up', {
      timeoutMs: 20_000,
      intervalMs: 200,
      description: 'bot-gateway /readyz lists redis up again',
    });
  });
});
