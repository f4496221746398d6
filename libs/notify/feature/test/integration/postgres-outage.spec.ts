import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { newId } from '@strongbox/shared-domain';
import { startPrivatePostgres, waitFor, type PrivateServer } from '@strongbox/shared-testing';
import { depositConfirmed, depositKey, nextChatId, registered } from '../support/events';
import { startNotifierHarness, type NotifierHarness } from '../support/notifier.harness';

// PostgreSQL down under the content consumers: events published meanwhile are not acknowledged,
// and once it is back each one is queued exactly once, with nothing lost. A private PostgreSQL is
// SIGKILLed (the shared one is never touched).

const DEPOSITS = 5;
let postgres: PrivateServer;
let notifier: NotifierHarness;

beforeAll(async () => {
  postgres = await startPrivatePostgres();
  notifier = await startNotifierHarness('npgout', { databaseUrl: postgres.url });
  await notifier.start();
}, 120_000);

afterAll(async () => {
  await notifier?.dispose();
  await postgres?.stop();
}, 60_000);

describe('PostgreSQL outage', () => {
  it('queues every deposit told while the database was down exactly once after it returns', async () => {
    const userId = newId();
    await notifier.publish(registered(userId, nextChatId(), 'en'));
    await waitFor(async () => (await notifier.sql`select 1 from recipients where user_id = ${userId}`).length === 1, { timeoutMs: 20_000, description: 'the recipient' });

    await postgres.kill();
    const events = Array.from({ length: DEPOSITS }, (_, index) => depositConfirmed(userId, depositKey(newId()), String((index + 1) * 1_000_000)));
    for (const event of events) {
      await notifier.publish(event);
      await notifier.publish(event);
    }
    // The outage is felt: a handler failed on the dead database and its event waits for redelivery.
    await waitFor(() => notifier.logs().some((line) => line.includes('handler failed; retrying later') && line.includes('deposit-events')), {
      timeoutMs: 30_000,
      description: 'a deposit handler to fail on the dead database',
    });
    await postgres.restart();

    const rows = await notifier.waitForNotifications(DEPOSITS, { userId, template: 'deposit-confirmed' }, 90_000);
    expect(rows.map((row) => row.causation_id).sort()).toEqual(events.map((event) => event.id).sort());
    expect(rows.map((row) => row.text)).toEqual(Array.from({ length: DEPOSITS }, (_, index) => `Deposit of ${index + 1} USDT confirmed and credited to your balance.`));
  }, 150_000);
});
