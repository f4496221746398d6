import { sql } from 'drizzle-orm';
import type { Sql, TransactionSql } from 'postgres';
import type { DbExecutor } from '@strongbox/shared-db';
import { USER_ACCOUNT_KINDS } from './ledger.schema';

// ---------------------------------------------------------------------------------------------
// Reconciliation: the four invariants of the ledger, each computed by one SQL statement over the
// whole ledger, so each sees one consistent snapshot even outside a transaction. Run all four on
// one snapshot by calling inside a `repeatable read` transaction. Cost: full scans of accounts and
// transfers (the fourth sums every transfer); a job for a replica or a quiet hour, not a request.
// ---------------------------------------------------------------------------------------------

/** The invariants, as named in reports, logs and the `ledger_invariant_violations` metric. */
export const Invariants = {
  /** Per asset, debits equal credits over all accounts: posted totals and pending totals. */
  ledgerSumsToZero: 'ledger_sums_to_zero',
  /** Every transfer moves one positive amount between two different accounts of its asset (and a post or void matches its hold). */
  transfersSumToZero: 'transfers_sum_to_zero',
  /** No account breaks its limit, no total is negative, every user account carries its limit. */
  noDisallowedNegativeBalance: 'no_disallowed_negative_balance',
  /** Every account's four totals equal the sums over its transfers. */
  balancesMatchTransfers: 'balances_match_transfers',
} as const;
export type Invariant = (typeof Invariants)[keyof typeof Invariants];

export interface InvariantViolation {
  readonly invariant: Invariant;
  /** What is wrong, naming the asset, account or transfer. */
  readonly detail: string;
}

export interface InvariantReport {
  readonly checkedAt: Date;
  /** Empty when the ledger is correct. At most VIOLATIONS_PER_INVARIANT_MAX per invariant. */
  readonly violations: InvariantViolation[];
}

/** Most violations reported per invariant; one is enough to alert, a few help to diagnose. */
export const VIOLATIONS_PER_INVARIANT_MAX = 100;

/** Where the checks run: a transaction or database (`DbExecutor`), or a postgres.js pool or transaction whose search_path is the ledger schema. */
export type InvariantSource = DbExecutor | Sql | TransactionSql;

const USER_KINDS_SQL = USER_ACCOUNT_KINDS.map((kind) => `'${kind}'`).join(', ');

/** Each query returns rows with one column, `detail`. */
const CHECKS: ReadonlyArray<{ invariant: Invariant; query: string }> = [
  {
    invariant: Invariants.ledgerSumsToZero,
    query: `
      select 'asset ' || asset || ': posted debits - credits = ' || sum(debits_posted - credits_posted)
        || ', pending debits - credits = ' || sum(debits_pending - credits_pending) as detail
      from accounts
      group by asset
      having sum(debits_posted - credits_posted) <> 0 or sum(debits_pending - credits_pending) <> 0
      order by asset
      limit ${VIOLATIONS_PER_INVARIANT_MAX}`,
  },
  {
    invariant: Invariants.transfersSumToZero,
    query: `
      select 'transfer ' || t.id || ': ' || case
          when t.amount <= 0 then 'amount ' || t.amount || ' is not positive'
          when t.debit_account_id = t.credit_account_id then 'debits and credits one account'
          when d.id is null or c.id is null then 'names an account that does not exist'
          when t.asset <> d.asset or t.asset <> c.asset then 'asset ' || t.asset || ' differs from its accounts (' || d.asset || ', ' || c.asset || ')'
          when t.pending_id is not null and (p.id is null or p.kind <> 'pending') then 'resolves ' || t.pending_id || ', which is not a pending transfer'
          when t.pending_id is not null and (p.debit_account_id <> t.debit_account_id or p.credit_account_id <> t.credit_account_id or p.asset <> t.asset)
            then 'accounts or asset differ from its hold ' || p.id
          when t.kind = 'post_pending' and t.amount > p.amount then 'posts ' || t.amount || ', more than the ' || p.amount || ' held'
          else 'voids ' || t.amount || ', not the ' || p.amount || ' held'
        end as detail
      from transfers t
      left join accounts d on d.id = t.debit_account_id
      left join accounts c on c.id = t.credit_account_id
      left join transfers p on p.id = t.pending_id
      where t.amount <= 0
        or t.debit_account_id = t.credit_account_id
        or d.id is null or c.id is null
        or t.asset <> d.asset or t.asset <> c.asset
        or (t.pending_id is not null and (
          p.id is null or p.kind <> 'pending'
          or p.debit_account_id <> t.debit_account_id or p.credit_account_id <> t.credit_account_id or p.asset <> t.asset
          or (t.kind = 'post_pending' and t.amount > p.amount)
          or (t.kind = 'void_pending' and t.amount <> p.amount)))
      order by t.id
      limit ${VIOLATIONS_PER_INVARIANT_MAX}`,
  },
  {
    invariant: Invariants.noDisallowedNegativeBalance,
    query: `
      select 'account ' || id || ' (' || kind || ', ' || asset || '): ' || case
          when debits_posted < 0 or credits_posted < 0 or debits_pending < 0 or credits_pending < 0 then 'a total is negative'
          when kind in (${USER_KINDS_SQL}) and not debits_must_not_exceed_credits then 'a user account without its limit'
          when debits_must_not_exceed_credits and debits_posted + debits_pending > credits_posted
            then 'debits ' || debits_posted || ' + pending ' || debits_pending || ' exceed credits ' || credits_posted
          else 'credits ' || credits_posted || ' + pending ' || credits_pending || ' exceed debits ' || debits_posted
        end as detail
      from accounts
      where debits_posted < 0 or credits_posted < 0 or debits_pending < 0 or credits_pending < 0
        or (kind in (${USER_KINDS_SQL}) and not debits_must_not_exceed_credits)
        or (debits_must_not_exceed_credits and debits_posted + debits_pending > credits_posted)
        or (credits_must_not_exceed_debits and credits_posted + credits_pending > debits_posted)
      order by id
      limit ${VIOLATIONS_PER_INVARIANT_MAX}`,
  },
  {
    // Posted totals: plain transfers and posts. Pending totals: holds minus those resolved (a post
    // or a void releases the whole hold).
    invariant: Invariants.balancesMatchTransfers,
    query: `
      with unresolved as (
        select h.debit_account_id, h.credit_account_id, h.amount from transfers h
        where h.kind = 'pending' and not exists (select 1 from transfers r where r.pending_id = h.id)
      ),
      legs as (
        select debit_account_id as account_id, amount as debits_posted, 0::numeric as credits_posted, 0::numeric as debits_pending, 0::numeric as credits_pending
          from transfers where kind in ('single', 'post_pending')
        union all
        select credit_account_id, 0, amount, 0, 0 from transfers where kind in ('single', 'post_pending')
        union all
        select debit_account_id, 0, 0, amount, 0 from unresolved
        union all
        select credit_account_id, 0, 0, 0, amount from unresolved
      ),
      sums as (
        select account_id, sum(debits_posted) as debits_posted, sum(credits_posted) as credits_posted,
          sum(debits_pending) as debits_pending, sum(credits_pending) as credits_pending
        from legs group by account_id
      )
      select 'account ' || a.id || ' (' || a.kind || ', ' || a.asset || '): totals '
        || a.debits_posted || '/' || a.credits_posted || '/' || a.debits_pending || '/' || a.credits_pending
        || ' but its transfers sum to '
        || coalesce(s.debits_posted, 0) || '/' || coalesce(s.credits_posted, 0) || '/' || coalesce(s.debits_pending, 0) || '/' || coalesce(s.credits_pending, 0)
        || ' (debits posted/credits posted/debits pending/credits pending)' as detail
      from accounts a
      left join sums s on s.account_id = a.id
      where a.debits_posted <> coalesce(s.debits_posted, 0) or a.credits_posted <> coalesce(s.credits_posted, 0)
        or a.debits_pending <> coalesce(s.debits_pending, 0) or a.credits_pending <> coalesce(s.credits_pending, 0)
      order by a.id
      limit ${VIOLATIONS_PER_INVARIANT_MAX}`,
  },
];

async function run(source: InvariantSource, query: string): Promise<Array<{ detail: string }>> {
  // A postgres.js pool is a function; a drizzle database or transaction is an object.
  const rows = typeof source === 'function' ? await source.unsafe(query) : await source.execute(sql.raw(query));
  return [...rows].map((row) => ({ detail: String((row as { detail: unknown }).detail) }));
}

/**
 * Checks the ledger's four invariants and returns every violation found (none when the ledger is
 * correct). Reads only; never changes anything.
 *
 * @example
 * const report = await checkInvariants(database.db);
 * violationsGauge.set(report.violations.length);
 */
export async function checkInvariants(source: InvariantSource): Promise<InvariantReport> {
  const checkedAt = new Date();
  const violations: InvariantViolation[] = [];
  for (const check of CHECKS) {
    for (const row of await run(source, check.query)) violations.push({ invariant: check.invariant, detail: row.detail });
  }
  return { checkedAt, violations };
}
