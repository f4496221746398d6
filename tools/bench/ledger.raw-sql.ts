import type { Sql } from 'postgres';
import { balanceChangedV1, eventSubject, transferPostedV1, type CloudEvent } from '@strongbox/shared-contracts';
import { requestHash } from '@strongbox/shared-db';
import { newId } from '@strongbox/shared-domain';
import { BENCH_ASSET, type BenchUser } from './ledger.fixture';

// ---------------------------------------------------------------------------------------------
// The raw SQL of one transfer: the floor the service is compared with. It writes what the ledger
// writes for a `transfer` command — the idempotency row, both account rows locked in id order and
// updated, the transfer row, and the three outbox events the engine enqueues for a transfer
// between two users (`transfer posted`, and `balance changed` for each side) — in one read
// committed transaction, one statement per step, and nothing else: no savepoint, no re-reads, no
// NOTIFY, no reply. Insufficient funds are left to the database's check constraint.
// ---------------------------------------------------------------------------------------------

const SCOPE = 'ledger.transfer';
const EVENT_SOURCE = 'strongbox/ledger';
const CAUSATION_HEADER = 'Strongbox-Causation-Id';

/** One transfer to make: `amount` from `from`'s available account to `to`'s. */
export interface TransferOrder {
  readonly from: BenchUser;
  readonly to: BenchUser;
  readonly amountMinor: bigint;
}

interface Totals {
  readonly debits_posted: string;
  readonly credits_posted: string;
  readonly debits_pending: string;
  readonly credits_pending: string;
}

/**
 * Returns a function that makes one transfer with the raw SQL on `sql` (a pool whose search_path
 * is the ledger's schema), with a fresh idempotency key each time.
 */
export function rawSqlTransfer(sql: Sql, namespace: string): (order: TransferOrder) => Promise<void> {
  const transferSubject = eventSubject(namespace, transferPostedV1.type);
  const balanceSubject = eventSubject(namespace, balanceChangedV1.type);

  return async ({ from, to, amountMinor }) => {
    const idempotencyKey = `bench-raw-${newId()}`;
    const amount = amountMinor.toString();
    const request = { idempotencyKey, fromUserId: from.userId, toUserId: to.userId, asset: BENCH_ASSET, amount };
    const transferId = newId();
    const batchId = newId();
    const now = new Date();
    const headers = JSON.stringify({ [CAUSATION_HEADER]: idempotencyKey });
    // Same id order as the engine's lock, so two transfers over the same pair queue, never deadlock.
    const [first, second] = from.accountId < to.accountId ? [from.accountId, to.accountId] : [to.accountId, from.accountId];

    await sql.begin('isolation level read committed', async (tx) => {
      await tx`
        insert into idempotency_keys (scope, key, request_hash, state, response)
        values (${SCOPE}, ${idempotencyKey}, ${requestHash(request)}, 'completed', ${JSON.stringify({ ok: true, result: { transferId } })}::jsonb)`;
      const locked = await tx`select id from accounts where id in (${first}, ${second}) order by id for update`;
      if (locked.length !== 2) throw new Error(`accounts ${first} and ${second}: ${locked.length} of 2 found`);
      const [debit] = await tx<Totals[]>`
        update accounts set debits_posted = debits_posted + ${amount}::numeric where id = ${from.accountId}
        returning debits_posted::text, credits_posted::text, debits_pending::text, credits_pending::text`;
      const [credit] = await tx<Totals[]>`
        update accounts set credits_posted = credits_posted + ${amount}::numeric where id = ${to.accountId}
        returning debits_posted::text, credits_posted::text, debits_pending::text, credits_pending::text`;
      if (debit === undefined || credit === undefined) throw new Error('an account row vanished under its lock');
      await tx`
        insert into transfers (id, debit_account_id, credit_account_id, amount, asset, code, kind, pending, pending_id, timeout_at, batch_id, reference, metadata, created_at)
        values (${transferId}, ${from.accountId}, ${to.accountId}, ${amount}::numeric, ${BENCH_ASSET}, 'internal_transfer', 'single', false, null, null, ${batchId}, null, '{}'::jsonb, ${now})`;

      const posted = transferPostedV1.create({
        source: EVENT_SOURCE,
        subject: transferId,
        time: now,
        data: {
          transferId,
          batchId,
          kind: 'single',
          code: 'internal_transfer',
          asset: BENCH_ASSET,
          amount,
          debit: { accountId: from.accountId, kind: 'user_available', userId: from.userId },
          credit: { accountId: to.accountId, kind: 'user_available', userId: to.userId },
          pendingId: null,
          timeoutAt: null,
          reference: null,
          metadata: {},
          postedAt: now.toISOString(),
        },
      });
      const debited = balanceEvent(from, debit, transferId, now);
      const credited = balanceEvent(to, credit, transferId, now);
      await tx`
        insert into outbox (event_id, subject, event, headers) values
          (${posted.id}, ${transferSubject}, ${JSON.stringify(posted)}::jsonb, ${headers}::jsonb),
          (${debited.id}, ${balanceSubject}, ${JSON.stringify(debited)}::jsonb, ${headers}::jsonb),
          (${credited.id}, ${balanceSubject}, ${JSON.stringify(credited)}::jsonb, ${headers}::jsonb)`;
    });
  };
}

function balanceEvent(user: BenchUser, totals: Totals, transferId: string, now: Date): CloudEvent {
  const available = BigInt(totals.credits_posted) - BigInt(totals.debits_posted) - BigInt(totals.debits_pending);
  return balanceChangedV1.create({
    source: EVENT_SOURCE,
    subject: user.userId,
    time: now,
    data: {
      accountId: user.accountId,
      userId: user.userId,
      asset: BENCH_ASSET,
      kind: 'user_available',
      debitsPosted: totals.debits_posted,
      creditsPosted: totals.credits_posted,
      debitsPending: totals.debits_pending,
      creditsPending: totals.credits_pending,
      available: available.toString(),
      transferIds: [transferId],
      changedAt: now.toISOString(),
    },
  });
}
