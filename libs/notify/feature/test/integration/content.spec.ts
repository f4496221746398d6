import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { newId } from '@strongbox/shared-domain';
import { waitFor } from '@strongbox/shared-testing';
import { startNotifierHarness, type NotifierHarness } from '../support/notifier.harness';
import {
  accountOpened,
  depositConfirmed,
  depositDetected,
  depositKey,
  internalTransfer,
  languageChanged,
  nextChatId,
  nodeStatus,
  recoveryDecided,
  registered,
  withdrawalApproved,
  withdrawalCompleted,
  withdrawalRequested,
} from '../support/events';

// The content consumers against the real NATS and PostgreSQL, in a child process: what each
// event puts on the delivery queue, exactly once, in the recipient's language.

let notifier: NotifierHarness;

beforeAll(async () => {
  notifier = await startNotifierHarness('ncont');
  await notifier.start();
}, 90_000);

afterAll(async () => {
  await notifier?.dispose();
});

async function newUser(languageCode: 'en' | 'ru'): Promise<{ userId: string; chatId: string }> {
  const user = { userId: newId(), chatId: nextChatId() };
  await notifier.publish(registered(user.userId, user.chatId, languageCode));
  await waitFor(async () => (await notifier.sql`select 1 from recipients where user_id = ${user.userId}`).length === 1, {
    timeoutMs: 20_000,
    description: 'the recipient to be recorded',
  });
  return user;
}

/** Every earlier account event is handled once this marker user is welcomed (one durable, in order). */
async function welcomesDrained(): Promise<void> {
  const marker = await newUser('en');
  await notifier.publish(accountOpened(marker.userId));
  await notifier.waitForNotifications(1, { template: 'welcome', userId: marker.userId });
}

describe('notifier content', () => {
  it('welcomes a user once, in Russian, even when the accounts event overtakes the registration', async () => {
    const userId = newId();
    const chatId = nextChatId();
    const opened = accountOpened(userId);
    await notifier.publish(opened);
    await notifier.publish(opened);
    await notifier.publish(registered(userId, chatId, 'ru'));
    await notifier.publish(opened);
    const [welcome] = await notifier.waitForNotifications(1, { template: 'welcome', userId });
    expect(welcome).toMatchObject({ chat_id: chatId, language_code: 'ru', priority: 2, causation_id: opened.id });
    expect(welcome?.text).toContain('Добро пожаловать');
    await welcomesDrained();
    expect(await notifier.notifications({ userId })).toHaveLength(1);
  });

  it('tells of a deposit once per step, whether redelivered three times or re-published under a new id', async () => {
    const user = await newUser('ru');
    const key = depositKey(newId());
    const detected = depositDetected(user.userId, key, '1500000');
    const confirmed = depositConfirmed(user.userId, key, '1500000');
    for (let copy = 0; copy < 3; copy += 1) await notifier.publish(detected);
    await notifier.waitForNotifications(1, { template: 'deposit-detected', userId: user.userId });
    expect(await notifier.sql`select operation_key from pending_operations where user_id = ${user.userId}`).toHaveLength(1);
    for (let copy = 0; copy < 3; copy += 1) await notifier.publish(confirmed);
    await notifier.publish(depositConfirmed(user.userId, key, '1500000')); // same deposit, new event id
    await notifier.publish(depositDetected(user.userId, key, '1500000')); // a late re-detection
    // Deposit events share one durable, in order: once a later deposit is told, every copy above was handled.
    const later = depositKey(newId());
    await notifier.publish(depositConfirmed(user.userId, later, '1'));
    await notifier.waitForNotifications(3, { userId: user.userId });
    const rows = await notifier.notifications({ userId: user.userId });
    expect(rows.map((row) => row.template)).toEqual(['deposit-detected', 'deposit-confirmed', 'deposit-confirmed']);
    const [, done] = rows;
    expect(done).toMatchObject({ priority: 1, language_code: 'ru', causation_id: confirmed.id });
    expect(done?.text).toBe('Пополнение на 1.5 USDT подтверждено и зачислено на баланс.');
    expect(done?.entities).toEqual([{ type: 'bold', offset: 14, length: 8 }]);
    expect(await notifier.sql`select 1 from pending_operations where user_id = ${user.userId}`).toHaveLength(0);
  });

  it('says nothing of a dust deposit, which will never be confirmed', async () => {
    const user = await newUser('en');
    await notifier.publish(depositDetected(user.userId, depositKey(newId()), '5', { belowDustMinimum: true }));
    await notifier.publish(depositDetected(user.userId, depositKey(newId()), '7000000'));
    await notifier.waitForNotifications(1, { userId: user.userId });
    expect((await notifier.notifications({ userId: user.userId })).map((row) => row.text)).toEqual([
      'Incoming deposit of 7 USDT. It will be credited after 12 confirmations on the network.',
    ]);
  });

  it('switches language on a language change and clears the blocked mark', async () => {
    const user = await newUser('ru');
    await notifier.sql`update recipients set blocked_at = now() where user_id = ${user.userId}`;
    await notifier.publish(languageChanged(user.userId, 'en'));
    await waitFor(async () => {
      const [row] = await notifier.sql<Array<{ language_code: string; blocked_at: Date | null }>>`select language_code, blocked_at from recipients where user_id = ${user.userId}`;
      return row?.language_code === 'en' && row.blocked_at === null;
    }, { timeoutMs: 20_000, description: 'the language change to apply' });
    await notifier.publish(internalTransfer(newId(), user.userId, '2000000'));
    const [received] = await notifier.waitForNotifications(1, { template: 'transfer-received', userId: user.userId });
    expect(received?.text).toBe('You received 2 USDT from another Strongbox user.');
  });

  it('tells a reviewed withdrawal at each step and an unreviewed one without a separate approval', async () => {
    const reviewed = await newUser('en');
    const plain = await newUser('en');
    const reviewedId = newId();
    const plainId = newId();
    for (const event of [withdrawalRequested(reviewed.userId, reviewedId, 'awaiting_approval'), withdrawalApproved(reviewed.userId, reviewedId), withdrawalCompleted(reviewed.userId, reviewedId)]) {
      await notifier.publish(event);
    }
    for (const event of [withdrawalRequested(plain.userId, plainId, 'held'), withdrawalApproved(plain.userId, plainId), withdrawalCompleted(plain.userId, plainId)]) {
      await notifier.publish(event);
    }
    // One durable, in order: once "completed" is queued, an "approved" would have been queued before it.
    await notifier.waitForNotifications(3, { userId: reviewed.userId });
    await notifier.waitForNotifications(2, { userId: plain.userId });
    expect((await notifier.notifications({ userId: reviewed.userId })).map((row) => row.template)).toEqual([
      'withdrawal-awaiting-approval',
      'withdrawal-approved',
      'withdrawal-completed',
    ]);
    expect((await notifier.notifications({ userId: plain.userId })).map((row) => row.template)).toEqual(['withdrawal-held', 'withdrawal-completed']);
    expect(await notifier.sql`select 1 from pending_operations where user_id in (${reviewed.userId}, ${plain.userId})`).toHaveLength(0);
  });

  it('tells a node outage and its end only to users with pending operations, once each', async () => {
    const waiting = await newUser('ru');
    const idle = await newUser('en');
    await notifier.publish(depositDetected(waiting.userId, depositKey(newId()), '3000000'));
    await notifier.waitForNotifications(1, { template: 'deposit-detected', userId: waiting.userId });
    const down = nodeStatus('down');
    await notifier.publish(down);
    await notifier.publish(down);
    await notifier.publish(nodeStatus('down', (down.data as { changedAt: string }).changedAt)); // re-published, new id
    await notifier.publish(nodeStatus('up'));
    const waitingRows = await notifier.waitForNotifications(3, { userId: waiting.userId });
    expect(waitingRows.map((row) => row.template)).toEqual(['deposit-detected', 'node-down', 'node-up']);
    expect(waitingRows[1]?.text).toMatch(/^Сеть временно недоступна/);
    expect(await notifier.notifications({ userId: idle.userId })).toEqual([]);
  });

  it('moves an approved recovery to the new chat and tells both chats', async () => {
    const user = await newUser('ru');
    const newChatId = nextChatId();
    await notifier.publish(recoveryDecided(user.userId, 'approved', { newChatId, previousChatId: user.chatId }));
    const rows = await waitFor(async () => {
      const found = await notifier.sql<Array<{ chat_id: string; template: string; user_id: string | null }>>`
        select chat_id::text as chat_id, template, user_id from notifications where template like 'recovery-%' and chat_id in (${newChatId}, ${user.chatId}) order by template`;
      return found.length === 2 ? found : undefined;
    }, { timeoutMs: 20_000, description: 'both recovery notifications' });
    expect(rows).toEqual([
      { chat_id: newChatId, template: 'recovery-approved-new', user_id: user.userId },
      { chat_id: user.chatId, template: 'recovery-approved-previous', user_id: null },
    ]);
    const [recipient] = await notifier.sql<Array<{ chat_id: string }>>`select chat_id::text as chat_id from recipients where user_id = ${user.userId}`;
    expect(recipient?.chat_id).toBe(newChatId);
  });

  it('raises an ops alert (logged, without an ops chat) when the delivery worker marks a notification unconfirmed', async () => {
    const id = `test:${newId()}`;
    await notifier.sql`
      insert into notifications (id, chat_id, priority, template, language_code, text, causation_id, state)
      values (${id}, ${nextChatId()}, 1, 'deposit-confirmed', 'en', 'x', ${id}, 'unconfirmed')`;
    const line = await waitFor(() => notifier.logs().find((entry) => entry.includes('NOTIFICATION_UNCONFIRMED')), {
      timeoutMs: 30_000,
      description: 'the unconfirmed alert in the log',
    });
    expect(JSON.parse(line)).toMatchObject({ alert: true, code: 'NOTIFICATION_UNCONFIRMED', service: 'notifier', details: { count: '1' } });
  });
});
