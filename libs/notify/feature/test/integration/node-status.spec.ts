import { jetstreamManager } from '@nats-io/jetstream';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { durableName, eventSubject, StreamBases, streamName, type CloudEvent } from '@strongbox/shared-contracts';
import { newId } from '@strongbox/shared-domain';
import { waitFor } from '@strongbox/shared-testing';
import { startNotifierHarness, type NotifierHarness } from '../support/notifier.harness';
import { depositDetected, depositKey, nextChatId, nodeStatus, registered } from '../support/events';

// The damping of node outage/recovery notices (ADR 16), against the real NATS and PostgreSQL, the
// notifier's content side in a child process, one namespace per test. Events carry chosen
// `changedAt` times, so the quiet period is crossed on the node's timeline without waiting for it.

/** Short enough to pick times on both sides of; the default (1 hour) works the same way. */
const QUIET_MS = 10 * 60_000;
const MINUTE_MS = 60_000;
const DURABLE = durableName('notifier', 'tell-node-status', 'node-status-changed');

let notifier: NotifierHarness;

beforeEach(async () => {
  notifier = await startNotifierHarness('nnode');
  await notifier.start({ NOTIFY_NODE_STATUS_QUIET_MS: String(QUIET_MS) });
}, 90_000);

afterEach(async () => {
  await notifier?.dispose();
});

/** A node status change `offsetMs` after a base time of the test. */
function changeAt(base: number) {
  return (status: 'up' | 'down', offsetMs: number) => nodeStatus(status, new Date(base + offsetMs).toISOString());
}

/** Publishes the events in order (as is, so copies of one id are all delivered); the stream sequence of the last. */
async function publish(...events: CloudEvent<unknown>[]): Promise<number> {
  let seq = 0;
  for (const event of events) seq = (await notifier.js.publish(eventSubject(notifier.namespace, event.type), JSON.stringify(event))).seq;
  return seq;
}

/** Waits until the node-status consumer has acknowledged everything up to stream sequence `seq`. */
async function handledUpTo(seq: number): Promise<void> {
  const jsm = await jetstreamManager(notifier.nc);
  const stream = streamName(notifier.namespace, StreamBases.chain);
  await waitFor(async () => (await jsm.consumers.info(stream, DURABLE)).ack_floor.stream_seq >= seq, {
    timeoutMs: 20_000,
    description: `the node-status consumer to acknowledge stream sequence ${seq}`,
  });
}

/** A registered user with a deposit pending on the test chain: who hears of an outage. */
async function waitingUser(languageCode: 'en' | 'ru'): Promise<string> {
  const userId = newId();
  await publish(registered(userId, nextChatId(), languageCode));
  await waitFor(async () => (await notifier.sql`select 1 from recipients where user_id = ${userId}`).length === 1, {
    timeoutMs: 20_000,
    description: 'the recipient to be recorded',
  });
  await openDeposit(userId);
  return userId;
}

async function openDeposit(userId: string): Promise<void> {
  await publish(depositDetected(userId, depositKey(newId()), '3000000'));
  await waitFor(async () => (await notifier.sql`select 1 from pending_operations where user_id = ${userId}`).length > 0, {
    timeoutMs: 20_000,
    description: 'the pending deposit to be recorded',
  });
}

/** The user's node notices in queue order, as template and causing event. */
async function nodeNotices(userId: string): Promise<Array<{ template: string; causationId: string }>> {
  const rows = await notifier.notifications({ userId });
  return rows.filter((row) => row.template.startsWith('node-')).map((row) => ({ template: row.template, causationId: row.causation_id }));
}

describe('node status notices', () => {
  it('tells each waiting user one down and one up for a node flapping within the quiet period', async () => {
    const users = [await waitingUser('en'), await waitingUser('ru')];
    const at = changeAt(Date.now());
    const flaps = [at('down', 0), at('up', MINUTE_MS), at('down', 2 * MINUTE_MS), at('up', 3 * MINUTE_MS), at('down', 4 * MINUTE_MS)];
    await handledUpTo(await publish(...flaps));
    for (const userId of users) {
      expect(await nodeNotices(userId)).toEqual([
        { template: 'node-down', causationId: flaps[0]!.id },
        { template: 'node-up', causationId: flaps[1]!.id },
      ]);
    }
    const [russian] = await notifier.notifications({ userId: users[1]!, template: 'node-down' });
    expect(russian?.text).toMatch(/^Сеть временно недоступна/);
  });

  it('tells a new outage again once the quiet period since the last told one has passed', async () => {
    const userId = await waitingUser('en');
    const at = changeAt(Date.now());
    const first = [at('down', 0), at('up', MINUTE_MS)];
    const tooSoon = [at('down', QUIET_MS - 1), at('up', QUIET_MS + MINUTE_MS)];
    const later = [at('down', QUIET_MS + 2 * MINUTE_MS), at('up', QUIET_MS + 3 * MINUTE_MS)];
    await handledUpTo(await publish(...first, ...tooSoon, ...later));
    expect(await nodeNotices(userId)).toEqual([
      { template: 'node-down', causationId: first[0]!.id },
      { template: 'node-up', causationId: first[1]!.id },
      { template: 'node-down', causationId: later[0]!.id },
      { template: 'node-up', causationId: later[1]!.id },
    ]);
  });

  it('sends no up to a user who was not told the node was down', async () => {
    const userId = await waitingUser('en');
    const at = changeAt(Date.now());
    await handledUpTo(await publish(at('up', 0)));
    expect(await nodeNotices(userId)).toEqual([]);
    // Nor does the unheard-of recovery hold back the next outage.
    const down = at('down', MINUTE_MS);
    await handledUpTo(await publish(down));
    expect(await nodeNotices(userId)).toEqual([{ template: 'node-down', causationId: down.id }]);
  });

  it('sends no up to a user whose operation began after the down was told', async () => {
    const early = await waitingUser('en');
    const latecomer = newId();
    await publish(registered(latecomer, nextChatId(), 'en'));
    const at = changeAt(Date.now());
    const down = at('down', 0);
    const up = at('up', MINUTE_MS);
    await handledUpTo(await publish(down));
    await openDeposit(latecomer);
    await handledUpTo(await publish(up));
    expect(await nodeNotices(early)).toEqual([
      { template: 'node-down', causationId: down.id },
      { template: 'node-up', causationId: up.id },
    ]);
    expect((await notifier.notifications({ userId: latecomer })).map((row) => row.template)).toEqual(['deposit-detected']);
  });

  it('tells each change once when its event is redelivered or re-published under a new id', async () => {
    const userId = await waitingUser('en');
    const base = Date.now();
    const at = changeAt(base);
    const down = at('down', 0);
    const up = at('up', MINUTE_MS);
    const republished = nodeStatus('down', new Date(base).toISOString());
    expect(republished.id).not.toBe(down.id);
    await handledUpTo(await publish(down, down, down, republished, up, up));
    expect(await nodeNotices(userId)).toEqual([
      { template: 'node-down', causationId: down.id },
      { template: 'node-up', causationId: up.id },
    ]);
  });

  it('ignores an event older than the last one applied for the chain', async () => {
    const userId = await waitingUser('en');
    const at = changeAt(Date.now());
    const down = at('down', 0);
    const staleUp = at('up', -MINUTE_MS); // the recovery before this outage, arriving late
    await handledUpTo(await publish(down, staleUp));
    expect(await nodeNotices(userId)).toEqual([{ template: 'node-down', causationId: down.id }]);
    expect(await notifier.sql`select status, changed_at from node_statuses`).toEqual([{ status: 'down', changed_at: new Date((down.data as { changedAt: string }).changedAt) }]);
    const up = at('up', MINUTE_MS);
    await handledUpTo(await publish(up));
    expect(await nodeNotices(userId)).toEqual([
      { template: 'node-down', causationId: down.id },
      { template: 'node-up', causationId: up.id },
    ]);
  });
});
