import { sql } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { pgSchemaName } from '@strongbox/shared-contracts';
import { createDatabase, dropSchema, migrate, type Database } from '@strongbox/shared-db';
import { TEST_DATABASE_URL, uniqueNamespace } from '@strongbox/shared-testing';
import {
  enqueueNotifications,
  ENQUEUE_NOTIFICATIONS_MAX,
  NotificationErrorCodes,
  NotificationInputError,
  NotificationPriority,
  notifyMigrationsFolder,
  notifySchema,
  type NotificationInput,
} from '../../src/index';

// The producer side of the delivery queue against a migrated notifier schema: enqueueing inside the
// caller's transaction, skipping ids already there (a redelivered event adds nothing), and refusing
// every malformed item with a clear error before anything is written.

const namespace = uniqueNamespace('nq');
const schema = pgSchemaName(namespace, 'notifier');
let database: Database<typeof notifySchema>;

beforeAll(async () => {
  await migrate({ url: TEST_DATABASE_URL, schema, migrationsFolder: notifyMigrationsFolder, lockTimeoutMs: 10_000 });
  database = createDatabase({ url: TEST_DATABASE_URL, schema, applicationName: `${schema}-test`, poolSizeMax: 2, connectTimeoutMs: 5_000, statementTimeoutMs: 20_000 }, notifySchema);
});

afterAll(async () => {
  await database?.close(5_000);
  await dropSchema(TEST_DATABASE_URL, schema);
});

let nextChat = 1_000n;
function item(overrides: Partial<NotificationInput> = {}): NotificationInput {
  nextChat += 1n;
  return {
    id: `evt-${nextChat}:deposit-confirmed`,
    userId: '0190f3a4-5b6c-7d8e-9f00-112233445566',
    chatId: nextChat,
    priority: NotificationPriority.money,
    template: 'deposit-confirmed',
    languageCode: 'en',
    text: 'Deposit of 10.00 USDT confirmed',
    entities: [{ type: 'bold', offset: 11, length: 10 }],
    causationId: `evt-${nextChat}`,
    ...overrides,
  };
}

async function count(): Promise<number> {
  const rows = [...(await database.db.execute(sql`select count(*)::int as n from notifications`))];
  return Number(rows[0]?.['n']);
}

describe('enqueueNotifications', () => {
  it('inserts pending rows in the caller’s transaction; an id already there is skipped', async () => {
    const first = item();
    const second = item({ priority: NotificationPriority.broadcast, broadcastId: '0190f3a4-5b6c-7d8e-9f00-aaaaaaaaaaaa', userId: null });
    expect(await database.db.transaction((tx) => enqueueNotifications(tx, [first, second]))).toBe(2);
    // The same event delivered again: nothing new.
    expect(await database.db.transaction((tx) => enqueueNotifications(tx, [first]))).toBe(0);
    const rows = [...(await database.db.execute(sql`select id, state, priority, entities, attempts from notifications where id in (${first.id}, ${second.id}) order by sequence`))];
    expect(rows.map((row) => [row['id'], row['state'], row['priority'], row['attempts']])).toEqual([
      [first.id, 'pending', 1, 0],
      [second.id, 'pending', 3, 0],
    ]);
    expect(rows[0]?.['entities']).toEqual(first.entities);
  });

  it('a rolled-back transaction leaves nothing behind', async () => {
    const before = await count();
    await expect(
      database.db.transaction(async (tx) => {
        await enqueueNotifications(tx, [item()]);
        throw new Error('the consumer failed after enqueueing');
      }),
    ).rejects.toThrow('the consumer failed');
    expect(await count()).toBe(before);
  });

  const invalid: Array<[string, Partial<NotificationInput> | (() => NotificationInput[])]> = [
    ['an empty id', { id: '' }],
    ['a user id that is not a uuid', { userId: 'user-1' }],
    ['chat id zero', { chatId: 0n }],
    ['a chat id beyond Telegram’s range', { chatId: 2n ** 60n }],
    ['priority 4', { priority: 4 as 0 }],
    ['a template with spaces', { template: 'deposit confirmed' }],
    ['an unknown language', { languageCode: 'de' as 'en' }],
    ['blank text', { text: '   ' }],
    ['text over 4096 characters', { text: 'x'.repeat(4_097) }],
    ['an entity outside the text', { entities: [{ type: 'bold', offset: 30, length: 10 }] }],
    ['a causation id over 128 characters', { causationId: 'c'.repeat(129) }],
    ['a broadcast id that is not a uuid', { broadcastId: 'b-1' }],
    ['one id twice in a call', () => {
      const one = item();
      return [one, { ...one }];
    }],
  ];
  it.each(invalid)('refuses %s, and writes nothing of the call', async (_name, change) => {
    const before = await count();
    const items = typeof change === 'function' ? change() : [item(), item(change)];
    const error = await database.db.transaction((tx) => enqueueNotifications(tx, items)).catch((caught: unknown) => caught);
    expect(error).toBeInstanceOf(NotificationInputError);
    expect((error as NotificationInputError).code).toBe(NotificationErrorCodes.invalidInput);
    expect(await count()).toBe(before);
  });

  it(`refuses more than ${ENQUEUE_NOTIFICATIONS_MAX} items per call`, async () => {
    const items = Array.from({ length: ENQUEUE_NOTIFICATIONS_MAX + 1 }, () => item());
    const error = await database.db.transaction((tx) => enqueueNotifications(tx, items)).catch((caught: unknown) => caught);
    expect((error as NotificationInputError).code).toBe(NotificationErrorCodes.tooMany);
  });
});
