// ---------------------------------------------------------------------------------------------
// Closed-loop load: N clients, each running one operation after another as fast as it is answered.
// A run warms up first (connections opened, statements prepared, JIT warm), then measures for a
// fixed time. Throughput counts the operations that completed inside the measured window; latency
// is taken of every operation that started inside it and succeeded.
// ---------------------------------------------------------------------------------------------

/** Latency samples kept per run; beyond it the run keeps counting but stops sampling (and says so). */
export const LATENCY_SAMPLES_MAX = 2_000_000;
/** Distinct error codes a run remembers; the rest are counted under `other`. */
const ERROR_CODES_MAX = 32;

export interface LoadOptions {
  /** Concurrent clients, each with at most one operation in flight. */
  readonly clients: number;
  readonly warmupMs: number;
  readonly durationMs: number;
  /** One operation of client `client` (0-based); resolves when it succeeded, throws when it failed. */
  readonly operation: (client: number) => Promise<void>;
}

export interface LoadResult {
  readonly clients: number;
  /** Successful operations that completed inside the measured window. */
  readonly completed: number;
  /** Failed operations inside the window, by error code (or class name). */
  readonly errors: Readonly<Record<string, number>>;
  readonly durationMs: number;
  readonly tps: number;
  readonly p50Ms: number;
  readonly p99Ms: number;
  readonly maxMs: number;
  /** False when more than LATENCY_SAMPLES_MAX operations ran: percentiles cover the first ones only. */
  readonly sampledAll: boolean;
}

/**
 * Runs `operation` from `clients` concurrent loops for `warmupMs + durationMs`, then waits for the
 * operations still in flight (they are not counted) and returns the window's figures.
 *
 * @example
 * const result = await runLoad({ clients: 8, warmupMs: 1_000, durationMs: 5_000, operation: () => transferOnce() });
 */
export async function runLoad(options: LoadOptions): Promise<LoadResult> {
  if (!Number.isInteger(options.clients) || options.clients < 1) throw new Error(`clients must be a positive integer, got ${options.clients}`);
  const startedAt = performance.now();
  const measureFrom = startedAt + options.warmupMs;
  const measureUntil = measureFrom + options.durationMs;
  let samples = new Float64Array(Math.min(LATENCY_SAMPLES_MAX, 1_024));
  let sampleCount = 0;
  let sampledAll = true;
  let completed = 0;
  const errors = new Map<string, number>();

  const record = (latencyMs: number): void => {
    if (sampleCount === samples.length) {
      if (samples.length >= LATENCY_SAMPLES_MAX) {
        sampledAll = false;
        return;
      }
      const grown = new Float64Array(Math.min(LATENCY_SAMPLES_MAX, samples.length * 2));
      grown.set(samples);
      samples = grown;
    }
    samples[sampleCount] = latencyMs;
    sampleCount += 1;
  };

  const client = async (index: number): Promise<void> => {
    while (performance.now() < measureUntil) {
      const begin = performance.now();
      let failure: unknown;
      let failed = false;
      try {
        await options.operation(index);
      } catch (error) {
        failed = true;
        failure = error;
      }
      const end = performance.now();
      if (begin < measureFrom || end > measureUntil) continue;
      if (failed) {
        const code = errorCode(failure);
        const key = errors.has(code) || errors.size < ERROR_CODES_MAX ? code : 'other';
        errors.set(key, (errors.get(key) ?? 0) + 1);
        continue;
      }
      completed += 1;
      record(end - begin);
    }
  };

  await Promise.all(Array.from({ length: options.clients }, (_unused, index) => client(index)));

  const sorted = samples.slice(0, sampleCount).sort();
  return {
    clients: options.clients,
    completed,
    errors: Object.fromEntries(errors),
    durationMs: options.durationMs,
    tps: completed / (options.durationMs / 1_000),
    p50Ms: percentile(sorted, 0.5),
    p99Ms: percentile(sorted, 0.99),
    maxMs: sorted.length === 0 ? Number.NaN : (sorted[sorted.length - 1] as number),
    sampledAll,
  };
}

/** Nearest-rank percentile of ascending `sorted` (NaN when empty): the smallest value with at least `q` of the samples at or below it. */
export function percentile(sorted: Float64Array, q: number): number {
  if (sorted.length === 0) return Number.NaN;
  const rank = Math.max(1, Math.ceil(q * sorted.length));
  return sorted[rank - 1] as number;
}

/** A stable name for a failure: its `code` when it has one (CommandError, postgres.js), else its class. */
function errorCode(error: unknown): string {
  if (typeof error === 'object' && error !== null) {
    const code = (error as { code?: unknown }).code;
    if (typeof code === 'string' && code.length > 0) return code.slice(0, 64);
    const name = (error as { name?: unknown }).name;
    if (typeof name === 'string' && name.length > 0) return name.slice(0, 64);
  }
  return 'unknown';
}
