import { and, asc, desc, eq, sql } from 'drizzle-orm';
import type { z } from 'zod';
import {
  eventSubject,
  PlanCommandErrors,
  planDepositOpenedV1,
  PLANS_PER_LIST_MAX,
  type disablePlanV1,
  type listPlanDepositsV1,
  type listPlansV1,
  type openPlanDepositV1,
  type publishPlanV1,
} from '@strongbox/shared-contracts';
import { enqueueEvents, executeIdempotent, type DatabaseHandle, type DbExecutor } from '@strongbox/shared-db';
import { newId } from '@strongbox/shared-domain';
import {
  AccountKinds,
  createTransfers,
  getUserAccounts,
  LedgerErrorCodes,
  openUserAccounts,
  PlanDepositStates,
  planDepositsTable,
  plansTable,
  TransferCodes,
  type PlanDepositRow,
  type PlanRow,
} from '@strongbox/ledger-data-access';
import { answer, asCommandError, balanceOf, decide, idempotencyError, Refusal as PlanRefusal } from './command.decisions';
import { maturityOf } from './plans.interest';

// ---------------------------------------------------------------------------------------------
// Savings plans as command operations: the admin side (publish a version, disable a level), the
// catalogue read, and opening a deposit. Opening moves money, so it runs once per idempotency key:
// its transfer, its deposit row, its event and its answer commit together, and a refusal is stored
// as the answer too, so a retry gets the same refusal (the same contract as ledger.operations.ts).
// ---------------------------------------------------------------------------------------------

type Wire<C extends { response: z.ZodType }> = z.input<C['response']>;
type Request<C extends { request: z.ZodType }> = z.output<C['request']>;
type PlanWire = Wire<typeof listPlansV1>['plans'][number];
type DepositWire = Wire<typeof openPlanDepositV1>['deposit'];

export interface PlanOperationsOptions {
  readonly database: DatabaseHandle;
  readonly namespace: string;
  /** Assets the ledger serves; a plan in any other asset is refused (it would have no accounts). */
  readonly assets: readonly string[];
  /** The clock; tests pass their own. */
  readonly now?: () => Date;
}

const ISOLATION = 'read committed' as const;
const EVENT_SOURCE = 'strongbox/ledger';
const CAUSATION_HEADER = 'Strongbox-Causation-Id';

/** Plan refusals are the ledger's refusals; the name is kept for callers of this module. */
export { Refusal as PlanRefusal } from './command.decisions';

/** A plan version as it travels. */
export function planWire(row: PlanRow): PlanWire {
  return {
    code: row.code,
    version: row.version,
    asset: row.asset,
    rateBps: row.rateBps,
    termDays: row.termDays,
    minAmount: row.minAmount.toString(),
    maxAmount: row.maxAmount.toString(),
    disabledUntil: row.disabledUntil === null ? null : row.disabledUntil.toISOString(),
    createdAt: row.createdAt.toISOString(),
  };
}

/** A deposit as it travels, with the terms of its version. */
export function planDepositWire(row: PlanDepositRow, plan: Pick<PlanRow, 'rateBps' | 'termDays'>): DepositWire {
  return {
    depositId: row.id,
    userId: row.userId,
    planCode: row.planCode,
    planVersion: row.planVersion,
    asset: row.asset,
    principal: row.principal.toString(),
    rateBps: plan.rateBps,
    termDays: plan.termDays,
    openedAt: row.openedAt.toISOString(),
    maturesAt: row.maturesAt.toISOString(),
    state: row.state,
    accruedTotal: row.accruedTotal.toString(),
  };
}

/**
 * Makes publishes and disables of one plan code take turns until the transaction ends, so a version
 * published while the level is being disabled cannot miss the switch it inherits. The key carries
 * the schema, so deployments sharing a database do not wait on each other.
 */
async function lockPlanCode(tx: DbExecutor, schema: string, code: string): Promise<void> {
  await tx.execute(sql`select pg_advisory_xact_lock(hashtextextended(${`${schema}:ledger.plans:${code}`}, 0))`);
}

/** The latest version of a plan level, or undefined. */
async function latestVersion(tx: DbExecutor, code: string): Promise<PlanRow | undefined> {
  const [row] = await tx.select().from(plansTable).where(eq(plansTable.code, code)).orderBy(desc(plansTable.version)).limit(1);
  return row;
}

function sameTerms(row: PlanRow, terms: { asset: string; rateBps: number; termDays: number; minAmount: bigint; maxAmount: bigint }): boolean {
  return (
    row.asset === terms.asset &&
    row.rateBps === terms.rateBps &&
    row.termDays === terms.termDays &&
    row.minAmount === terms.minAmount &&
    row.maxAmount === terms.maxAmount
  );
}

/** The plan operations; the service wires each to its command route. */
export function createPlanOperations(options: PlanOperationsOptions) {
  const { database, namespace } = options;
  const now = options.now ?? (() => new Date());

  return {
    /**
     * Publishes a version of a plan level. Versions come in order (1, then the latest + 1), under a
     * per-code lock, so two admins cannot publish the same number with different terms; the same
     * version with the same terms again answers the stored row (`created: false`). A new version
     * inherits the level's `disabled_until`: disabling is about the level, not one version.
     */
    async publishPlan(request: Request<typeof publishPlanV1>): Promise<Wire<typeof publishPlanV1>> {
      const terms = {
        asset: request.asset,
        rateBps: request.rateBps,
        termDays: request.termDays,
        minAmount: BigInt(request.minAmount),
        maxAmount: BigInt(request.maxAmount),
      };
      return database.db
        .transaction(
          async (tx) => {
            if (!options.assets.includes(terms.asset)) {
              throw new PlanRefusal(PlanCommandErrors.invalidPlan, `the ledger does not serve ${terms.asset}; it serves ${options.assets.join(', ')}`, {
                asset: terms.asset,
              });
            }
            if (terms.maxAmount < terms.minAmount) {
              throw new PlanRefusal(PlanCommandErrors.invalidPlan, `maxAmount ${terms.maxAmount} is below minAmount ${terms.minAmount}`, {
                minAmount: request.minAmount,
                maxAmount: request.maxAmount,
              });
            }
            await lockPlanCode(tx, database.schema, request.code);
            const latest = await latestVersion(tx, request.code);
            const expectedVersion = (latest?.version ?? 0) + 1;
            if (latest !== undefined && request.version <= latest.version) {
              const [existing] = await tx
                .select()
                .from(plansTable)
                .where(and(eq(plansTable.code, request.code), eq(plansTable.version, request.version)));
              if (existing && sameTerms(existing, terms)) return { plan: planWire(existing), created: false };
              throw new PlanRefusal(
                PlanCommandErrors.planVersionExists,
                `${request.code} version ${request.version} was published with other terms; versions never change, publish version ${expectedVersion} instead`,
                { code: request.code, version: String(request.version), expectedVersion: String(expectedVersion) },
              );
            }
            if (request.version !== expectedVersion) {
              throw new PlanRefusal(
                PlanCommandErrors.planVersionNotNext,
                `the next version of ${request.code} is ${expectedVersion}, not ${request.version}`,
                { code: request.code, version: String(request.version), expectedVersion: String(expectedVersion) },
              );
            }
            const [row] = await tx
              .insert(plansTable)
              .values({
                code: request.code,
                version: request.version,
                ...terms,
                disabledUntil: latest?.disabledUntil ?? null,
                publishedBy: request.adminId,
                createdAt: now(),
              })
              .returning();
            if (!row) throw new Error('insert into plans returned no row');
            return { plan: planWire(row), created: true };
          },
          { isolationLevel: ISOLATION },
        )
        .catch(asCommandError);
    },

    /** Disables a plan level (every version of the code) until `disabledUntil`; null enables it. */
    async disablePlan(request: Request<typeof disablePlanV1>): Promise<Wire<typeof disablePlanV1>> {
      const until = request.disabledUntil === null ? null : new Date(request.disabledUntil);
      return database.db
        .transaction(
          async (tx) => {
            await lockPlanCode(tx, database.schema, request.code);
            const updated = await tx.update(plansTable).set({ disabledUntil: until }).where(eq(plansTable.code, request.code)).returning({ version: plansTable.version });
            if (updated.length === 0) throw new PlanRefusal(PlanCommandErrors.planNotFound, `no plan ${request.code}`, { code: request.code });
            return { code: request.code, disabledUntil: until === null ? null : until.toISOString() };
          },
          { isolationLevel: ISOLATION },
        )
        .catch(asCommandError);
    },

    /** The latest version of each plan level (in `asset` when given), enabled ones only unless `includeDisabled`. */
    async listPlans(request: Request<typeof listPlansV1>): Promise<Wire<typeof listPlansV1>> {
      const at = now();
      const rows = await database.db.transaction(
        (tx) =>
          tx
            .selectDistinctOn([plansTable.code])
            .from(plansTable)
            .where(request.asset === undefined ? undefined : eq(plansTable.asset, request.asset))
            .orderBy(plansTable.code, desc(plansTable.version))
            .limit(PLANS_PER_LIST_MAX),
        { isolationLevel: ISOLATION },
      );
      const enabled = (row: PlanRow): boolean => row.disabledUntil === null || row.disabledUntil.getTime() <= at.getTime();
      return { plans: rows.filter((row) => request.includeDisabled || enabled(row)).map(planWire) };
    },

    /**
     * Opens a deposit on the latest version of a plan (or on `planVersion`, refused once a newer
     * version replaced it): moves the principal from the user's available to their locked account
     * (`plan_open`), records the deposit on that exact version, and publishes `plan-deposit opened`.
     */
    async openPlanDeposit(request: Request<typeof openPlanDepositV1>): Promise<Wire<typeof openPlanDepositV1>> {
      const { response } = await executeIdempotent(
        database,
        { scope: 'ledger.open-plan-deposit', key: request.idempotencyKey, request, isolationLevel: ISOLATION },
        (tx) =>
          decide(tx, async () => {
            const at = now();
            const userId = request.userId.toLowerCase();
            const amount = BigInt(request.amount);
            const plan = await latestVersion(tx, request.planCode);
            if (!plan || !options.assets.includes(plan.asset) || (request.planVersion !== undefined && request.planVersion > plan.version)) {
              throw new PlanRefusal(
                PlanCommandErrors.planNotFound,
                `no plan ${request.planCode}${request.planVersion === undefined ? '' : ` version ${request.planVersion}`}`,
                { planCode: request.planCode, ...(request.planVersion === undefined ? {} : { planVersion: String(request.planVersion) }) },
              );
            }
            if (request.planVersion !== undefined && request.planVersion !== plan.version) {
              throw new PlanRefusal(
                PlanCommandErrors.planVersionSuperseded,
                `version ${request.planVersion} of ${plan.code} was replaced by version ${plan.version}; review its terms and open on it`,
                { planCode: plan.code, planVersion: String(request.planVersion), currentVersion: String(plan.version) },
              );
            }
            if (plan.disabledUntil !== null && plan.disabledUntil.getTime() > at.getTime()) {
              throw new PlanRefusal(PlanCommandErrors.planDisabled, `plan ${plan.code} takes no deposits until ${plan.disabledUntil.toISOString()}`, {
                planCode: plan.code,
                disabledUntil: plan.disabledUntil.toISOString(),
              });
            }
            if (amount < plan.minAmount || amount > plan.maxAmount) {
              const below = amount < plan.minAmount;
              throw new PlanRefusal(
                PlanCommandErrors.planAmountLimit,
                `plan ${plan.code} takes ${plan.minAmount} to ${plan.maxAmount}; ${amount} is ${below ? 'below the minimum' : 'above the maximum'}`,
                { planCode: plan.code, limit: below ? 'min' : 'max', limitMinor: (below ? plan.minAmount : plan.maxAmount).toString(), amount: amount.toString() },
              );
            }
            let accounts = await getUserAccounts(tx, userId, plan.asset);
            const available = accounts.find((account) => account.kind === AccountKinds.userAvailable);
            if (!available) throw new PlanRefusal(LedgerErrorCodes.accountNotFound, `user ${userId} has no ${plan.asset} account`, { userId, asset: plan.asset });
            if (!accounts.some((account) => account.kind === AccountKinds.userLocked)) {
              // A user opened before locked accounts existed gets one now (idempotent, no new event).
              await openUserAccounts(tx, { namespace, userId, assets: [plan.asset], causationId: request.idempotencyKey });
              accounts = await getUserAccounts(tx, userId, plan.asset);
            }
            const locked = accounts.find((account) => account.kind === AccountKinds.userLocked);
            if (!locked) throw new Error(`user ${userId} has no ${plan.asset} locked account right after opening it`);

            const depositId = newId();
            const transferId = newId();
            await createTransfers(tx, {
              namespace,
              causationId: request.idempotencyKey,
              now: at,
              transfers: [
                {
                  id: transferId,
                  debitAccountId: available.id,
                  creditAccountId: locked.id,
                  amount,
                  code: TransferCodes.planOpen,
                  reference: depositId,
                  metadata: { planCode: plan.code, planVersion: String(plan.version) },
                },
              ],
            });
            const [row] = await tx
              .insert(planDepositsTable)
              .values({
                id: depositId,
                userId,
                planCode: plan.code,
                planVersion: plan.version,
                asset: plan.asset,
                principal: amount,
                openedAt: at,
                maturesAt: maturityOf(at, plan.termDays),
                state: PlanDepositStates.open,
                openTransferId: transferId,
              })
              .returning();
            if (!row) throw new Error('insert into plan_deposits returned no row');
            const event = planDepositOpenedV1.create({
              source: EVENT_SOURCE,
              subject: userId,
              time: at,
              data: {
                depositId,
                userId,
                planCode: plan.code,
                planVersion: plan.version,
                asset: plan.asset,
                principal: amount.toString(),
                rateBps: plan.rateBps,
                termDays: plan.termDays,
                transferId,
                openedAt: at.toISOString(),
                maturesAt: row.maturesAt.toISOString(),
              },
            });
            await enqueueEvents(tx, [{ subject: eventSubject(namespace, event.type), event, headers: { [CAUSATION_HEADER]: request.idempotencyKey } }]);
            return { deposit: planDepositWire(row, plan), balance: balanceOf(await getUserAccounts(tx, userId, plan.asset), userId, plan.asset) };
          }),
      ).catch(idempotencyError);
      return answer(response);
    },

    /**
     * A user's deposits with their terms and interest so far: open ones by maturity (the next to
     * return first), then matured ones, latest first. A read: no lock, no idempotency.
     */
    async listPlanDeposits(request: Request<typeof listPlanDepositsV1>): Promise<Wire<typeof listPlanDepositsV1>> {
      const userId = request.userId.toLowerCase();
      const rows = await database.db.transaction(
        (tx) =>
          tx
            .select({ deposit: planDepositsTable, rateBps: plansTable.rateBps, termDays: plansTable.termDays })
            .from(planDepositsTable)
            .innerJoin(plansTable, and(eq(plansTable.code, planDepositsTable.planCode), eq(plansTable.version, planDepositsTable.planVersion)))
            .where(and(eq(planDepositsTable.userId, userId), request.asset === undefined ? undefined : eq(planDepositsTable.asset, request.asset)))
            .orderBy(
              sql`case when ${planDepositsTable.state} = ${PlanDepositStates.open} then 0 else 1 end`,
              sql`case when ${planDepositsTable.state} = ${PlanDepositStates.open} then ${planDepositsTable.maturesAt} end asc`,
              desc(planDepositsTable.maturesAt),
              asc(planDepositsTable.id),
            )
            .limit(request.limit),
        { isolationLevel: ISOLATION },
      );
      return { deposits: rows.map((row) => planDepositWire(row.deposit, row)) };
    },
  };
}

export type PlanOperations = ReturnType<typeof createPlanOperations>;
