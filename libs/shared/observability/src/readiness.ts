import { ObservabilityError, ObservabilityErrorCodes } from './errors';
import { maskSensitiveText, sanitizeForLog } from './log.redaction';

/** What one dependency check found. */
export interface HealthCheckResult {
  up: boolean;
  /** Anything that helps an operator: breaker state, round-trip time, head block … */
  detail?: Record<string, unknown>;
}

/**
 * One dependency /readyz asks about. A required check that is down makes the service not ready;
 * an optional one is only listed.
 */
export interface HealthCheck {
  /** Unique within a readiness: `postgres`, `nats`, `chain`. */
  name: string;
  required: boolean;
  /** How long the check may take; a check that overruns counts as down. Defaults to READINESS_CHECK_TIMEOUT_MS_DEFAULT. */
  timeoutMs?: number;
  check(): Promise<HealthCheckResult>;
}

export interface CheckReport {
  status: 'up' | 'down';
  required: boolean;
  durationMs: number;
  detail?: Record<string, unknown>;
  /** Why the check is down when it threw or timed out; secrets and personal data masked. */
  error?: string;
}

export interface ReadinessReport {
  status: 'ready' | 'not_ready';
  checks: Record<string, CheckReport>;
}

export interface Readiness {
  /** Adds a check; throws when the name is taken or READINESS_CHECKS_MAX is reached. */
  add(check: HealthCheck): void;
  /** Runs every check concurrently, each bounded by its timeout. */
  evaluate(): Promise<ReadinessReport>;
}

/** Most checks one readiness holds. */
export const READINESS_CHECKS_MAX = 32;
/** Time limit of a check that does not set its own. */
export const READINESS_CHECK_TIMEOUT_MS_DEFAULT = 2_000;
/** Longest error text kept in a report. */
const CHECK_ERROR_CHARS_MAX = 512;
const CHECK_NAME_PATTERN = /^[A-Za-z0-9][A-Za-z0-9_.:-]{0,63}$/;

/**
 * The set of dependency checks behind /readyz. The service is ready when every required check is
 * up within its time limit; a check that throws or hangs counts as down, with the reason listed.
 *
 * @example
 * const readiness = createReadiness();
 * readiness.add({ name: 'postgres', required: true, timeoutMs: 2_000, check: async () => ({ up: await ping() }) });
 */
export function createReadiness(): Readiness {
  const checks = new Map<string, HealthCheck>();
  return {
    add(check) {
      if (!CHECK_NAME_PATTERN.test(check.name)) {
        throw new ObservabilityError(ObservabilityErrorCodes.invalidCheck, `readiness check name "${check.name}" must match ${CHECK_NAME_PATTERN.source}`);
      }
      if (checks.has(check.name)) {
        throw new ObservabilityError(ObservabilityErrorCodes.duplicateCheck, `readiness check "${check.name}" is already added`);
      }
      if (checks.size >= READINESS_CHECKS_MAX) {
        throw new ObservabilityError(ObservabilityErrorCodes.invalidCheck, `a readiness holds at most ${READINESS_CHECKS_MAX} checks`);
      }
      checks.set(check.name, check);
    },
    async evaluate() {
      const entries = await Promise.all([...checks.values()].map(async (check) => [check.name, await runCheck(check)] as const));
      const ready = entries.every(([, report]) => !report.required || report.status === 'up');
      return { status: ready ? 'ready' : 'not_ready', checks: Object.fromEntries(entries) };
    },
  };
}

async function runCheck(check: HealthCheck): Promise<CheckReport> {
  const timeoutMs = check.timeoutMs ?? READINESS_CHECK_TIMEOUT_MS_DEFAULT;
  const startedAt = performance.now();
  let timer: NodeJS.Timeout | undefined;
  const timedOut = new Promise<never>((_resolve, reject) => {
    timer = setTimeout(() => reject(new Error(`check timed out after ${timeoutMs} ms`)), timeoutMs);
  });
  try {
    // `Promise.resolve().then` turns a check that throws synchronously into a rejection.
    const result = await Promise.race([Promise.resolve().then(() => check.check()), timedOut]);
    return {
      status: result.up ? 'up' : 'down',
      required: check.required,
      durationMs: elapsedMs(startedAt),
      ...(result.detail === undefined ? {} : { detail: sanitizeForLog(result.detail) as Record<string, unknown> }),
    };
  } catch (error) {
    const message = error instanceof Error ? error.message : String(error);
    return {
      status: 'down',
      required: check.required,
      durationMs: elapsedMs(startedAt),
      error: maskSensitiveText(message).slice(0, CHECK_ERROR_CHARS_MAX),
    };
  } finally {
    clearTimeout(timer);
  }
}

function elapsedMs(startedAt: number): number {
  return Math.round((performance.now() - startedAt) * 10) / 10;
}
