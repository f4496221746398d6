// Proves the user blacklist on a real PostgreSQL schema: an admin lists a user with a reason, and
// the user's next withdrawal — even to an address already used, which would otherwise be `held` —
// waits for an admin with the reason `user_blacklisted` named; lifting it makes the next one `held`
// again; each change publishes `user blacklist changed` with the admin and reason; setting the state
// the user already has changes nothing, publishes nothing and keeps the first admin; and the request
// schema refuses a missing reason or admin id before anything is stored.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import pino from 'pino';
import { Registry } from 'prom-client';
import { blacklistUserV1, userBlacklistChangedV1, withdrawalRequestedV1 } from '@strongbox/shared-contracts';
import { newId } from '@strongbox/shared-domain';
import { checkInvariants } from '@strongbox/ledger-data-access';
import { createBlacklistOperations, type BlacklistOperations, type LedgerOperations } from '../../src/index';
import { freshPlans, fundedUser, outboxEventsOfType, type PlanTestContext } from '../support/plans.harness';
import { establishAddress, ledgerOperations, requestWithdrawal } from '../support/withdrawals.harness';

let context: PlanTestContext;
let ledger: LedgerOperations;
let blacklist: BlacklistOperations;

beforeAll(async () => {
  context = await freshPlans();
  ledger = ledgerOperations(context);
  blacklist = createBlacklistOperations({ database: context.database, namespace: context.namespace, logger: pino({ level: 'silent' }), now: () => context.clock.now });
});

afterAll(async () => {
  const report = await checkInvariants(context.sql);
  expect(report.violations).toEqual([]);
  await context.dispose();
});

async function changeEvents(userId: string) {
  return (await outboxEventsOfType(context, userBlacklistChangedV1.type)).filter((event) => event.data['userId'] === userId).map((event) => event.data);
}

function setListed(userId: string, blacklisted: boolean, reason: string, adminId = newId()) {
  return blacklist.blacklistUser(blacklistUserV1.request.parse({ adminId, userId, blacklisted, reason }));
}

describe('blacklist', () => {
  it("sends a listed user's withdrawal to an admin with the reason named; lifting it lets the next one be held", async () => {
    const userId = await fundedUser(context, 5_000_000n);
    await establishAddress(context, ledger, userId, new Registry());
    expect((await requestWithdrawal(ledger, userId, '20000')).withdrawal).toMatchObject({ state: 'held', reason: null });

    const admin = newId();
    const listed = await setListed(userId, true, 'chargeback reported', admin);
    expect(listed).toMatchObject({ userId, blacklisted: true, reason: 'chargeback reported', adminId: admin, changed: true });
    expect(blacklistUserV1.response.safeParse(listed).success).toBe(true);

    const { withdrawal } = await requestWithdrawal(ledger, userId, '20000');
    expect(withdrawal).toMatchObject({ state: 'awaiting_approval', reason: 'user_blacklisted' });
    const [requested] = (await outboxEventsOfType(context, withdrawalRequestedV1.type)).filter((event) => event.data['withdrawalId'] === withdrawal.withdrawalId);
    expect(requested?.data).toMatchObject({ state: 'awaiting_approval', reviewReasons: ['user_blacklisted'] });

    const lifted = await setListed(userId, false, 'chargeback withdrawn');
    expect(lifted).toMatchObject({ blacklisted: false, reason: 'chargeback withdrawn', changed: true });
    const changes = await changeEvents(userId);
    expect(changes).toEqual([
      expect.objectContaining({ blacklisted: true, reason: 'chargeback reported', adminId: admin }),
      expect.objectContaining({ blacklisted: false, reason: 'chargeback withdrawn' }),
    ]);
    expect(userBlacklistChangedV1.schema.safeParse(changes[0]).success).toBe(true);
    expect((await requestWithdrawal(ledger, userId, '20000')).withdrawal).toMatchObject({ state: 'held', reason: null });
  });

  it('names the blacklist beside the other reasons that fire', async () => {
    const userId = await fundedUser(context, 5_000_000n);
    await setListed(userId, true, 'sanctions match');
    const { withdrawal } = await requestWithdrawal(ledger, userId, '20000', '0x00000000000000000000000000000000000000cC');
    expect(withdrawal).toMatchObject({ state: 'awaiting_approval', reason: 'user_blacklisted,new_destination_address' });
  });

  it('setting the state the user already has changes nothing and keeps the admin who made it', async () => {
    const userId = newId();
    const first = newId();
    const listed = await setListed(userId, true, 'first', first);
    context.clock.now = new Date(context.clock.now.getTime() + 1_000);
    const again = await setListed(userId, true, 'second');
    expect(again).toEqual({ ...listed, changed: false });
    const rows = await context.sql`select blacklisted, reason, admin_id from user_blacklist where user_id = ${userId}`;
    expect(rows).toEqual([{ blacklisted: true, reason: 'first', admin_id: first }]);
    expect(await changeEvents(userId)).toHaveLength(1);
    // Lifting a user who was never listed records the statement but changes nothing.
    const never = newId();
    expect(await setListed(never, false, 'not listed')).toMatchObject({ blacklisted: false, changed: false });
    expect(await changeEvents(never)).toEqual([]);
  });

  it.each([
    ['no reason', { reason: undefined }],
    ['a blank reason', { reason: '   ' }],
    ['a reason over 256 characters', { reason: 'x'.repeat(257) }],
    ['no admin id', { adminId: undefined }],
    ['a user id that is not a UUID', { userId: 'user-1' }],
    ['blacklisted as a string', { blacklisted: 'yes' }],
  ])('the request schema refuses %s', (_what, change) => {
    const valid = { adminId: newId(), userId: newId(), blacklisted: true, reason: 'fraud' };
    expect(blacklistUserV1.request.safeParse(valid).success).toBe(true);
    expect(blacklistUserV1.request.safeParse({ ...valid, ...change }).success).toBe(false);
  });
});
