// Proves the breaker's life cycle on cockatiel with a fake clock: it opens after N consecutive
// failures, refuses calls (BreakerOpenError, fn not called) while open, lets one trial through
// after halfOpenAfterMs and closes on its success or reopens on its failure; errors excluded by
// isFailure do not count; state changes reach listeners, the Prometheus gauge and counter, and
// the readiness check.
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { createMetricsRegistry } from '@strongbox/shared-observability';
import type { Registry } from 'prom-client';
import { createCircuitBreaker, type Breaker } from './circuit.breaker';
import { BreakerOpenError, ResilienceErrorCodes, type BreakerState } from './errors';
import { isTransient } from './error.classification';

const HALF_OPEN_AFTER_MS = 1_000;
const fail = (message = 'ECONNREFUSED') => async () => {
  throw Object.assign(new Error(message), { code: 'ECONNREFUSED' });
};
const succeed = async () => 'ok';

async function failTimes(breaker: Breaker, times: number): Promise<void> {
  for (let index = 0; index < times; index += 1) await expect(breaker.execute(fail())).rejects.toThrow('ECONNREFUSED');
}

async function metricValue(registry: Registry, name: string, labels: Record<string, string>): Promise<number | undefined> {
  const metric = (await registry.getMetricsAsJSON()).find((entry) => entry.name === name);
  return metric?.values.find((value) => Object.entries(labels).every(([key, wanted]) => value.labels[key] === wanted))?.value;
}

describe('createCircuitBreaker', () => {
  beforeEach(() => {
    vi.useFakeTimers();
  });
  afterEach(() => {
    vi.useRealTimers();
  });

  it('opens after N consecutive failures and refuses calls without running them', async () => {
    const breaker = createCircuitBreaker({ name: 'rpc', consecutiveFailures: 3, halfOpenAfterMs: HALF_OPEN_AFTER_MS });
    await failTimes(breaker, 2);
    expect(breaker.state()).toBe('closed');
    await failTimes(breaker, 1);
    expect(breaker.state()).toBe('open');

    const fn = vi.fn(succeed);
    const refusal = await breaker.execute(fn).catch((error: unknown) => error);
    expect(fn).not.toHaveBeenCalled();
    expect(refusal).toBeInstanceOf(BreakerOpenError);
    expect(refusal).toMatchObject({ code: ResilienceErrorCodes.breakerOpen, breaker: 'rpc', state: 'open' });
    expect(isTransient(refusal)).toBe(true);
  });

  it('a success in between resets the count of consecutive failures', async () => {
    const breaker = createCircuitBreaker({ name: 'rpc', consecutiveFailures: 3, halfOpenAfterMs: HALF_OPEN_AFTER_MS });
    await failTimes(breaker, 2);
    await expect(breaker.execute(succeed)).resolves.toBe('ok');
    await failTimes(breaker, 2);
    expect(breaker.state()).toBe('closed');
  });

  it('half-opens after the delay and closes on a successful trial', async () => {
    const breaker = createCircuitBreaker({ name: 'rpc', consecutiveFailures: 2, halfOpenAfterMs: HALF_OPEN_AFTER_MS });
    const seen: BreakerState[] = [];
    breaker.onStateChange((state) => seen.push(state));
    await failTimes(breaker, 2);

    vi.advanceTimersByTime(HALF_OPEN_AFTER_MS - 1);
    await expect(breaker.execute(succeed)).rejects.toBeInstanceOf(BreakerOpenError);
    vi.advanceTimersByTime(1);
    let stateDuringTrial: BreakerState | undefined;
    await expect(
      breaker.execute(async () => {
        stateDuringTrial = breaker.state();
        return 'ok';
      }),
    ).resolves.toBe('ok');
    expect(stateDuringTrial).toBe('half-open');
    expect(breaker.state()).toBe('closed');
    expect(seen).toEqual(['open', 'half-open', 'closed']);
  });

  it('reopens when the trial fails', async () => {
    const breaker = createCircuitBreaker({ name: 'rpc', consecutiveFailures: 2, halfOpenAfterMs: HALF_OPEN_AFTER_MS });
    await failTimes(breaker, 2);
    vi.advanceTimersByTime(HALF_OPEN_AFTER_MS);
    await failTimes(breaker, 1);
    expect(breaker.state()).toBe('open');
    await expect(breaker.execute(succeed)).rejects.toBeInstanceOf(BreakerOpenError);
  });

  it('ignores errors that isFailure excludes', async () => {
    const breaker = createCircuitBreaker({ name: 'rpc', consecutiveFailures: 2, halfOpenAfterMs: HALF_OPEN_AFTER_MS, isFailure: isTransient });
    for (let index = 0; index < 5; index += 1) {
      await expect(
        breaker.execute(async () => {
          throw new Error('not found');
        }),
      ).rejects.toThrow('not found');
    }
    expect(breaker.state()).toBe('closed');
    await failTimes(breaker, 2);
    expect(breaker.state()).toBe('open');
  });

  it('can be held open by hand and released', async () => {
    const breaker = createCircuitBreaker({ name: 'rpc', consecutiveFailures: 2, halfOpenAfterMs: HALF_OPEN_AFTER_MS });
    const handle = breaker.isolate();
    expect(breaker.state()).toBe('isolated');
    await expect(breaker.execute(succeed)).rejects.toMatchObject({ state: 'isolated', code: ResilienceErrorCodes.breakerOpen });
    handle.release();
    await expect(breaker.execute(succeed)).resolves.toBe('ok');
  });

  it('exports its state as a gauge and counts transitions', async () => {
    const registry = createMetricsRegistry({ service: 'chain-watcher', namespace: 't_breaker' });
    const breaker = createCircuitBreaker({ name: 'rpc', consecutiveFailures: 1, halfOpenAfterMs: HALF_OPEN_AFTER_MS, registry });
    const gauge = () => metricValue(registry, 'strongbox_breaker_state', { breaker: 'rpc' });
    expect(await gauge()).toBe(0);
    await failTimes(breaker, 1);
    expect(await gauge()).toBe(2);
    vi.advanceTimersByTime(HALF_OPEN_AFTER_MS);
    let gaugeDuringTrial: number | undefined;
    await breaker.execute(async () => {
      gaugeDuringTrial = await gauge();
    });
    expect(gaugeDuringTrial).toBe(1);
    expect(await gauge()).toBe(0);
    breaker.isolate();
    expect(await gauge()).toBe(3);
    for (const to of ['open', 'half-open', 'closed', 'isolated']) {
      expect(await metricValue(registry, 'strongbox_breaker_transitions_total', { breaker: 'rpc', to })).toBe(1);
    }
  });

  it('offers a readiness check: up unless open or isolated, with the state', async () => {
    const breaker = createCircuitBreaker({ name: 'postgres', consecutiveFailures: 1, halfOpenAfterMs: HALF_OPEN_AFTER_MS });
    const check = breaker.healthCheck(true);
    expect(check).toMatchObject({ name: 'postgres', required: true });
    expect(await check.check()).toEqual({ up: true, detail: { state: 'closed' } });
    await failTimes(breaker, 1);
    expect(await check.check()).toEqual({ up: false, detail: { state: 'open' } });
  });

  it('keeps calling other listeners when one throws, and unsubscribes', async () => {
    const breaker = createCircuitBreaker({ name: 'rpc', consecutiveFailures: 1, halfOpenAfterMs: HALF_OPEN_AFTER_MS });
    const seen: BreakerState[] = [];
    breaker.onStateChange(() => {
      throw new Error('listener bug');
    });
    const unsubscribe = breaker.onStateChange((state) => seen.push(state));
    await failTimes(breaker, 1);
    unsubscribe();
    vi.advanceTimersByTime(HALF_OPEN_AFTER_MS);
    await breaker.execute(succeed);
    expect(seen).toEqual(['open']);
  });
});
