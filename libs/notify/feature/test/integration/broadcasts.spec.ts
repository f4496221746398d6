import { jetstreamManager } from '@nats-io/jetstream';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { broadcastCompletedV1, broadcastProgressedV1, broadcastV1, eventSubject, NotifyCommandErrors, streamName, StreamBases } from '@strongbox/shared-contracts';
import { newId } from '@strongbox/shared-domain';
import { createCommandClient, type CommandClient } from '@strongbox/shared-messaging';
import { waitFor } from '@strongbox/shared-testing';
import { nextChatId } from '../support/events';
import { startNotifierHarness, type NotifierHarness } from '../support/notifier.harness';

// Broadcasts against the real NATS and PostgreSQL: language-aware, idempotent, and resumable after
// the enqueuing process is SIGKILLed half-way (small chunks with a pause, so there is a half-way).

const USERS = 120;
const CHUNK_SIZE = 10;
const env = { NOTIFY_BROADCAST_CHUNK_SIZE: String(CHUNK_SIZE), NOTIFY_BROADCAST_CHUNK_PAUSE_MS: '150' };
const texts = { en: 'Maintenance tonight *02:00* <b>UTC</b>.', ru: 'Техработы сегодня в *02:00* <b>UTC</b>.' };

let notifier: NotifierHarness;
let commands: CommandClient;
const users: Array<{ userId: string; languageCode: 'en' | 'ru' }> = [];
let blockedUserId: string;

beforeAll(async () => {
  notifier = await startNotifierHarness('nbcast');
  await notifier.start(env);
  commands = createCommandClient(notifier.nc, { namespace: notifier.namespace, timeoutMs: 10_000 });
  for (let index = 0; index < USERS; index += 1) users.push({ userId: newId(), languageCode: index % 3 === 0 ? 'ru' : 'en' });
  await notifier.sql`insert into recipients ${notifier.sql(users.map((user) => ({ user_id: user.userId, chat_id: nextChatId(), language_code: user.languageCode })))}`;
  blockedUserId = newId();
  await notifier.sql`insert into recipients (user_id, chat_id, language_code, blocked_at) values (${blockedUserId}, ${nextChatId()}, 'en', now())`;
}, 90_000);

afterAll(async () => {
  await notifier?.dispose();
});

async function broadcastRow(id: string) {
  const [row] = await notifier.sql<Array<{ state: string; enqueued: number; cursor_user_id: string | null }>>`select state, enqueued, cursor_user_id from broadcasts where id = ${id}`;
  return row;
}

describe('broadcasts', () => {
  it('refuses bad requests without storing anything', async () => {
    await expect(commands.call(broadcastV1, { idempotencyKey: 'bad-request-1', adminId: newId(), texts: { en: '', ru: 'x' } })).rejects.toMatchObject({ code: 'COMMAND_ERR_INVALID_REQUEST' });
    expect(await notifier.sql`select 1 from broadcasts`).toHaveLength(0);
  });

  it('queues every reachable user once in their language, resuming after a SIGKILL half-way, then completes', async () => {
    const adminId = newId();
    const request = { idempotencyKey: `broadcast-${newId()}`, adminId, texts };
    const reply = await commands.call(broadcastV1, request);
    expect(reply.recipients).toBe(USERS);

    // Half-way: some chunks committed, not all.
    const halfway = await waitFor(async () => {
      const row = await broadcastRow(reply.broadcastId);
      return row && row.enqueued >= 3 * CHUNK_SIZE && row.enqueued < USERS ? row : undefined;
    }, { timeoutMs: 20_000, intervalMs: 20, description: 'the broadcast to be half queued' });
    await notifier.kill();
    const afterKill = await broadcastRow(reply.broadcastId);
    const queuedAtKill = await notifier.sql`select id from notifications where broadcast_id = ${reply.broadcastId}`;
    // The cursor and the queue moved together: what the row counts is exactly what is queued.
    expect(queuedAtKill).toHaveLength(afterKill!.enqueued);
    expect(afterKill!.enqueued).toBeGreaterThanOrEqual(halfway.enqueued);
    expect(afterKill!.enqueued).toBeLessThan(USERS);
    expect(afterKill!.state).toBe('enqueuing');

    // A retry of the command while the notifier is back answers the same broadcast.
    await notifier.start(env);
    expect(await commands.call(broadcastV1, request)).toEqual(reply);
    await waitFor(async () => (await broadcastRow(reply.broadcastId))?.state === 'sending', { timeoutMs: 30_000, description: 'the broadcast to be fully queued' });

    const rows = await notifier.notifications();
    const mine = rows.filter((row) => row.broadcast_id === reply.broadcastId);
    expect(mine).toHaveLength(USERS);
    expect(new Set(mine.map((row) => row.user_id)).size).toBe(USERS);
    expect(mine.some((row) => row.user_id === blockedUserId)).toBe(false);
    const languageOf = new Map(users.map((user) => [user.userId, user.languageCode]));
    for (const row of mine) {
      expect(row).toMatchObject({ priority: 3, template: 'broadcast', entities: [], causation_id: reply.broadcastId });
      expect(row.text).toBe(texts[languageOf.get(row.user_id!)!]);
    }
    // Queued in user-id order.
    const order = mine.map((row) => row.user_id!);
    expect(order).toEqual([...order].sort());
    expect((await broadcastRow(reply.broadcastId))?.enqueued).toBe(USERS);

    // The delivery worker's part, played here: every message reaches a final state.
    await notifier.sql`update notifications set state = 'delivered' where broadcast_id = ${reply.broadcastId} and user_id <> ${users[0]!.userId}`;
    await notifier.sql`update notifications set state = 'blocked' where broadcast_id = ${reply.broadcastId} and user_id = ${users[0]!.userId}`;
    await waitFor(async () => (await broadcastRow(reply.broadcastId))?.state === 'completed', { timeoutMs: 20_000, description: 'the broadcast to complete' });

    const jsm = await jetstreamManager(notifier.nc);
    const stream = streamName(notifier.namespace, StreamBases.notify);
    const completed = await waitFor(
      () => jsm.streams.getMessage(stream, { last_by_subj: eventSubject(notifier.namespace, broadcastCompletedV1.type) }).then((message) => message ?? undefined, () => undefined),
      { timeoutMs: 10_000, description: 'broadcast.completed on the stream' },
    );
    expect(broadcastCompletedV1.parse(completed.json()).data).toMatchObject({ broadcastId: reply.broadcastId, adminId, enqueued: USERS, delivered: USERS - 1, blocked: 1, failed: 0 });
    const progressed = await jsm.streams.getMessage(stream, { last_by_subj: eventSubject(notifier.namespace, broadcastProgressedV1.type) });
    expect(broadcastProgressedV1.parse(progressed?.json()).data).toMatchObject({ broadcastId: reply.broadcastId, recipients: USERS, enqueued: USERS });
  }, 120_000);

  it('refuses the same key with other texts and changes nothing', async () => {
    const request = { idempotencyKey: `broadcast-${newId()}`, adminId: newId(), texts };
    const first = await commands.call(broadcastV1, request);
    await expect(commands.call(broadcastV1, { ...request, texts: { ...texts, ru: 'Другое' } })).rejects.toMatchObject({ code: NotifyCommandErrors.idempotencyConflict });
    const [row] = await notifier.sql<Array<{ count: number }>>`select count(*)::int as count from broadcasts where idempotency_key = ${request.idempotencyKey}`;
    expect(row?.count).toBe(1);
    await waitFor(async () => (await broadcastRow(first.broadcastId))?.state === 'sending', { timeoutMs: 30_000, description: 'the second broadcast to be queued' });
  }, 60_000);
});
