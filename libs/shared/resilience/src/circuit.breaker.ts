import {
  BrokenCircuitError,
  circuitBreaker,
  CircuitState,
  ConsecutiveBreaker,
  handleAll,
  handleWhen,
  IsolatedCircuitError,
} from 'cockatiel';
import type { HealthCheck } from '@strongbox/shared-observability';
import { getOrCreateCounter, getOrCreateGauge } from '@strongbox/shared-observability';
import type { Registry } from 'prom-client';
import { BreakerOpenError, type BreakerState } from './errors';


/** A circuit breaker around calls to one dependency (one RPC node, one database). */
export interface Breaker {
  readonly name: string;
  /**
   * Runs `fn` unless the breaker is open; then throws BreakerOpenError without calling it. While
   * half-open, one trial call goes through and the others wait for its outcome, so `fn` should
   * bound itself (`withTimeout`). `signal` is passed on to `fn`.
   */
  execute<T>(fn: (signal: AbortSignal) => Promise<T>, signal?: AbortSignal): Promise<T>;
  /**
   * The current state. An open breaker turns half-open on the first call after `halfOpenAfterMs`,
   * so it reports `open` until something calls it again.
   */
  state(): BreakerState;
  /** Calls `listener` on every transition; returns the unsubscribe function. */
  onStateChange(listener: (state: BreakerState) => void): () => void;
  /** Holds the breaker open (state `isolated`) until `release()` — for maintenance or an emergency stop. */
  isolate(): { release(): void };
  /** A readiness check: up unless the breaker is open or isolated, with the state as detail. */
  healthCheck(required: boolean): HealthCheck;
}

export interface CircuitBreakerOptions {
  /** Used in errors, logs, the metric label and the health check name. */
  name: string;
  /** Failures in a row that open the breaker. */
  consecutiveFailures: number;
  /** How long the breaker stays open before letting one trial call through. */
  halfOpenAfterMs: number;
  /** Where `strongbox_breaker_state` and `strongbox_breaker_transitions_total` are kept. */
  registry?: Registry;
  /**
   * Which errors count as failures of the dependency; others pass through without affecting the
   * breaker (a "not found" is the remote working). Every error counts when omitted.
   */
  isFailure?: (error: unknown) => boolean;
}

/** Listeners one breaker holds; more means a leak (subscribing without unsubscribing). */
const STATE_LISTENERS_MAX = 64;
/** The breaker's health check only reads memory; it never needs longer. */
const HEALTH_CHECK_TIMEOUT_MS = 100;

/** Values of the `strongbox_breaker_state` gauge. */
export const BREAKER_STATE_VALUES: Readonly<Record<BreakerState, number>> = { closed: 0, 'half-open': 1, open: 2, isolated: 3 };

const STATE_NAMES: Readonly<Record<CircuitState, BreakerState>> = {
  [CircuitState.Closed]: 'closed',
  [CircuitState.HalfOpen]: 'half-open',
  [CircuitState.Open]: 'open',
  [CircuitState.Isolated]: 'isolated',
};

/**
 * A consecutive-failures circuit breaker (cockatiel): after `consecutiveFailures` failures in a
 * row it opens and refuses calls with BreakerOpenError; after `halfOpenAfterMs` one trial call is
 * let through, and its success closes the breaker while its failure opens it again. With a
 * registry, the state is exported as `strongbox_breaker_state{breaker}` (0 closed, 1 half-open,
 * 2 open, 3 isolated) and every transition counted in `strongbox_breaker_transitions_total`.
 *
 * @example
 * const breaker = createCircuitBreaker({ name: 'chain-rpc', consecutiveFailures: 3, halfOpenAfterMs: 5_000, registry });
 * readiness.add(breaker.healthCheck(false));
 * const head = await breaker.execute(() => withTimeout(5_000, () => provider.getBlockNumber()));
 */
export function createCircuitBreaker(options: CircuitBreakerOptions): Breaker {
  if (!Number.isSafeInteger(options.consecutiveFailures) || options.consecutiveFailures < 1) {
    throw new RangeError(`createCircuitBreaker: consecutiveFailures must be a positive integer, got ${options.consecutiveFailures}`);
  }
  if (!Number.isFinite(options.halfOpenAfterMs) || options.halfOpenAfterMs < 0) {
    throw new RangeError(`createCircuitBreaker: halfOpenAfterMs must be a non-negative number, got ${options.halfOpenAfterMs}`);
  }
  const policy = circuitBreaker(options.isFailure ? handleWhen(options.isFailure) : handleAll, {
    breaker: new ConsecutiveBreaker(options.consecutiveFailures),
    halfOpenAfter: options.halfOpenAfterMs,
    // The classic breaker: a single trial call decides between closing and opening again.
    halfOpenSampling: { calls: 1, threshold: 0 },
  });

  const stateGauge = options.registry
    ? getOrCreateGauge(options.registry, {
        name: 'strongbox_breaker_state',
        help: 'Circuit breaker state: 0 closed, 1 half-open, 2 open, 3 isolated.',
        labelNames: ['breaker'],
      })
    : undefined;
  const transitions = options.registry
    ? getOrCreateCounter(options.registry, {
        name: 'strongbox_breaker_transitions_total',
        help: 'Circuit breaker state transitions, by the state entered.',
        labelNames: ['breaker', 'to'],
      })
    : undefined;
  // Every series exists from the start, so dashboards and alerts see 0 rather than no data.
  stateGauge?.set({ breaker: options.name }, BREAKER_STATE_VALUES.closed);
  for (const to of Object.keys(BREAKER_STATE_VALUES)) transitions?.inc({ breaker: options.name, to }, 0);

  const listeners = new Set<(state: BreakerState) => void>();
  policy.onStateChange((circuitState) => {
    const state = STATE_NAMES[circuitState];
    stateGauge?.set({ breaker: options.name }, BREAKER_STATE_VALUES[state]);
    transitions?.inc({ breaker: options.name, to: state });
    for (const listener of listeners) {
      // A failing listener must not break the breaker or starve the other listeners.
      try {
        listener(state);
      } catch {
        /* the listener's own concern */
      }
    }
  });

  const state = (): BreakerState => STATE_NAMES[policy.state];

  return {
    name: options.name,
    state,
    async execute(fn, signal) {
      try {
        return await policy.execute(({ signal: policySignal }) => fn(policySignal), signal);
      } catch (error) {
        if (error instanceof BrokenCircuitError && (policy.state === CircuitState.Open || policy.state === CircuitState.Isolated)) {
          throw new BreakerOpenError(options.name, error instanceof IsolatedCircuitError ? 'isolated' : 'open', { cause: error });
        }
        throw error;
      }
    },
    onStateChange(listener) {
      if (listeners.size >= STATE_LISTENERS_MAX) {
        throw new RangeError(`circuit breaker ${options.name} already has ${STATE_LISTENERS_MAX} state listeners`);
      }
      listeners.add(listener);
      return () => void listeners.delete(listener);
    },
    isolate() {
      const handle = policy.isolate();
      return { release: () => handle.dispose() };
    },
    healthCheck(required) {
      return {
        name: options.name,
        required,
        timeoutMs: HEALTH_CHECK_TIMEOUT_MS,
        check: async () => {
          const current = state();
          return { up: current === 'closed' || current === 'half-open', detail: { state: current } };
        },
      };
    },
  };
}
