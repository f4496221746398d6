import { jetstreamManager } from '@nats-io/jetstream';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { durableName, streamName, StreamBases } from '@strongbox/shared-contracts';
import { newId } from '@strongbox/shared-domain';
import { waitFor } from '@strongbox/shared-testing';
import { depositConfirmed, depositDetected, depositKey, nextChatId, registered } from '../support/events';
import { startNotifierHarness, type NotifierHarness } from '../support/notifier.harness';

// The content process SIGKILLed while it works through a backlog of deposit events, each published
// three times: after the restart every user has each notification exactly once.

const USERS = 20;
const DEPOSITS_PER_USER = 3;
let notifier: NotifierHarness;

beforeAll(async () => {
  notifier = await startNotifierHarness('ncrash');
  await notifier.start();
}, 90_000);

afterAll(async () => {
  await notifier?.dispose();
});

describe('SIGKILL mid-batch', () => {
  it('queues each deposit step once per user although the process died half-way and every event came three times', async () => {
    const users = Array.from({ length: USERS }, () => ({ userId: newId(), chatId: nextChatId() }));
    for (const user of users) await notifier.publish(registered(user.userId, user.chatId, 'ru'));
    await waitFor(async () => (await notifier.sql`select 1 from recipients`).length === USERS, { timeoutMs: 30_000, description: 'every recipient' });

    const events = users.flatMap((user) =>
      Array.from({ length: DEPOSITS_PER_USER }, () => {
        const key = depositKey(newId());
        return [depositDetected(user.userId, key, '1000000'), depositConfirmed(user.userId, key, '1000000')];
      }).flat(),
    );
    for (let copy = 0; copy < 3; copy += 1) for (const event of events) await notifier.publish(event);

    const expected = USERS * DEPOSITS_PER_USER * 2;
    await waitFor(async () => {
      const queued = (await notifier.notifications()).length;
      return queued > 0 && queued < expected;
    }, { timeoutMs: 30_000, intervalMs: 10, description: 'the backlog half done' });
    await notifier.kill();
    await notifier.start();

    const rows = await notifier.waitForNotifications(expected, {}, 60_000);
    // Every copy has been handled once the deposit durable has nothing pending or unacknowledged.
    const jsm = await jetstreamManager(notifier.nc);
    await waitFor(async () => {
      const info = await jsm.consumers.info(streamName(notifier.namespace, StreamBases.chain), durableName('notifier', 'tell-deposit', 'deposit-events'));
      return info.num_pending === 0 && info.num_ack_pending === 0;
    }, { timeoutMs: 60_000, description: 'every copy handled' });
    const all = await notifier.notifications();
    expect(all).toHaveLength(expected);
    expect(new Set(all.map((row) => row.id)).size).toBe(expected);
    for (const user of users) {
      const mine = all.filter((row) => row.user_id === user.userId).map((row) => row.template);
      expect(mine.filter((template) => template === 'deposit-detected')).toHaveLength(DEPOSITS_PER_USER);
      expect(mine.filter((template) => template === 'deposit-confirmed')).toHaveLength(DEPOSITS_PER_USER);
    }
    expect(rows.length).toBeGreaterThanOrEqual(expected);
  }, 150_000);
});
