import type { Logger } from 'pino';
import type { Registry } from 'prom-client';
import { purgeIdempotencyKeys, type DatabaseHandle } from '@strongbox/shared-db';
import { getOrCreateGauge } from '@strongbox/shared-observability';
import { sleep, superviseLoop, type SupervisedLoop } from '@strongbox/shared-resilience';
import { checkInvariants, Invariants, voidExpiredPendingTransfers, EXPIRED_VOIDS_PER_CALL_MAX, type InvariantReport } from '@strongbox/ledger-data-access';
import { raiseAlert, type AlertTarget } from '@strongbox/shared-runtime';

// ---------------------------------------------------------------------------------------------
// Background jobs of the ledger: reconciliation (the four invariants, exported as a metric that
// must stay 0) and housekeeping (expired holds, old idempotency keys). Old inbox rows are purged by
// the shared inbox housekeeping every service runs (startServiceInboxHousekeeping).
// ---------------------------------------------------------------------------------------------

/** Idempotency keys are kept two days: well over the promised 24 h and any redelivery. */
const RETENTION_MS = 2 * 24 * 60 * 60 * 1_000;
const HOUSEKEEPING_INTERVAL_MS = 60_000;

export interface LedgerJobs {
  /** Runs one reconciliation now and updates the metric (also used by tests and the ops tooling). */
  reconcileOnce(): Promise<InvariantReport>;
  stop(timeoutMs: number): Promise<void>;
}

export function startLedgerJobs(options: {
  database: DatabaseHandle;
  namespace: string;
  logger: Logger;
  registry: Registry;
  reconcileIntervalMs: number;
  /** Where ops alerts go (invariants violated, a job failing again and again); without it they are only logged. */
  alerts?: AlertTarget;
}): LedgerJobs {
  const { database, logger, registry, alerts } = options;
  const onRepeatedFailures = ({ name, consecutiveErrors, error }: { name: string; consecutiveErrors: number; error: unknown }) => {
    if (!alerts) return;
    void raiseAlert(alerts, {
      context: 'ledger',
      service: 'ledger',
      code: 'LOOP_FAILING',
      severity: 'critical',
      dedupeKey: `loop:ledger:${name}`,
      summary: `background job ${name} failed ${consecutiveErrors} times in a row`,
      details: { loop: name, consecutiveErrors: String(consecutiveErrors), error: (error instanceof Error ? error.message : String(error)).slice(0, 256) },
    });
  };
  const violations = getOrCreateGauge(registry, {
    name: 'ledger_invariant_violations',
    help: 'Violations of each ledger invariant found by the last reconciliation; anything but 0 pages someone.',
    labelNames: ['invariant'],
  });
  const lastRun = getOrCreateGauge(registry, {
    name: 'ledger_reconciliation_last_success_timestamp_seconds',
    help: 'When the reconciliation last completed (whatever it found).',
  });
  for (const invariant of Object.values(Invariants)) violations.set({ invariant }, 0);

  async function reconcileOnce(): Promise<InvariantReport> {
    const report = await checkInvariants(database.sql);
    for (const invariant of Object.values(Invariants)) {
      violations.set({ invariant }, report.violations.filter((violation) => violation.invariant === invariant).length);
    }
    lastRun.set(Date.now() / 1_000);
    if (report.violations.length > 0) {
      logger.error({ alert: true, violations: report.violations.slice(0, 20) }, 'ledger invariants violated');
      if (alerts) {
        const broken = [...new Set(report.violations.map((violation) => violation.invariant))].sort();
        await raiseAlert(alerts, {
          context: 'ledger',
          service: 'ledger',
          code: 'LEDGER_INVARIANT_VIOLATED',
          severity: 'critical',
          dedupeKey: `ledger:invariants:${broken.join(',')}`,
          summary: `ledger invariants violated: ${report.violations.length} violation(s) of ${broken.join(', ')}`,
          details: { violations: String(report.violations.length), invariants: broken.join(', ').slice(0, 256) },
        });
      }
    }
    return report;
  }

  const loops: SupervisedLoop[] = [
    superviseLoop({
      name: 'ledger-reconciliation',
      logger,
      registry,
      delayMsInitial: 1_000,
      delayMsMax: 60_000,
      consecutiveErrorsAlert: 5,
      onRepeatedFailures,
      run: async (signal) => {
        while (!signal.aborted) {
          await reconcileOnce();
          await sleep(options.reconcileIntervalMs, signal);
        }
      },
    }),
    superviseLoop({
      name: 'ledger-housekeeping',
      logger,
      registry,
      delayMsInitial: 1_000,
      delayMsMax: 60_000,
      consecutiveErrorsAlert: 5,
      onRepeatedFailures,
      run: async (signal) => {
        while (!signal.aborted) {
          // Void expired holds in bounded batches until none is left.
          for (;;) {
            const voided = await database.db.transaction((tx) =>
              voidExpiredPendingTransfers(tx, { namespace: options.namespace, now: new Date(), limit: EXPIRED_VOIDS_PER_CALL_MAX }),
            );
            if (voided > 0) logger.info({ voided }, 'expired holds voided');
            if (voided < EXPIRED_VOIDS_PER_CALL_MAX || signal.aborted) break;
          }
          const keys = await purgeIdempotencyKeys(database, RETENTION_MS);
          if (keys > 0) logger.info({ keys }, 'old idempotency keys purged');
          await sleep(HOUSEKEEPING_INTERVAL_MS, signal);
        }
      },
    }),
  ];

  return {
    reconcileOnce,
    async stop(timeoutMs) {
      await Promise.all(loops.map((loop) => loop.stop(timeoutMs)));
    },
  };
}
