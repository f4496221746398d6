// Proves that createMetricsRegistry yields a real prom-client registry with Node default metrics
// and the service/namespace labels on every series, and that getOrCreate* hands back the same
// metric to every caller while refusing a name reused with another type or other labels.
import { Counter, Gauge, Histogram } from 'prom-client';
import { describe, expect, it } from 'vitest';
import { ObservabilityErrorCodes } from './errors';
import { createMetricsRegistry, getOrCreateCounter, getOrCreateGauge, getOrCreateHistogram } from './metrics.registry';

describe('createMetricsRegistry', () => {
  it('collects default metrics labelled with service and namespace', async () => {
    const registry = createMetricsRegistry({ service: 'notifier', namespace: 't_metrics' });
    getOrCreateCounter(registry, { name: 'strongbox_test_events_total', help: 'Test events.', labelNames: ['kind'] }).inc({ kind: 'a' }, 2);
    const text = await registry.metrics();
    expect(text).toMatch(/^process_cpu_user_seconds_total\{service="notifier",namespace="t_metrics"\} /m);
    expect(text).toMatch(/^nodejs_eventloop_lag_seconds\{service="notifier",namespace="t_metrics"\} /m);
    expect(text).toContain('strongbox_test_events_total{kind="a",service="notifier",namespace="t_metrics"} 2');
  });
});

describe('getOrCreate*', () => {
  it.each([
    ['counter', getOrCreateCounter, Counter],
    ['gauge', getOrCreateGauge, Gauge],
    ['histogram', getOrCreateHistogram, Histogram],
  ] as const)('returns the same %s to every caller', (_type, getOrCreate, type) => {
    const registry = createMetricsRegistry({ service: 's', namespace: 't_metrics' });
    const config = { name: 'strongbox_test_shared', help: 'Shared.', labelNames: ['a', 'b'] as const };
    const first = getOrCreate(registry, config);
    const second = getOrCreate(registry, { ...config, labelNames: ['b', 'a'] });
    expect(first).toBeInstanceOf(type);
    expect(second).toBe(first);
  });

  it('refuses a name registered as another type', () => {
    const registry = createMetricsRegistry({ service: 's', namespace: 't_metrics' });
    getOrCreateCounter(registry, { name: 'strongbox_test_x', help: 'X.' });
    expect(() => getOrCreateGauge(registry, { name: 'strongbox_test_x', help: 'X.' })).toThrow(
      expect.objectContaining({ code: ObservabilityErrorCodes.metricConflict }),
    );
  });

  it('refuses a name registered with other label names', () => {
    const registry = createMetricsRegistry({ service: 's', namespace: 't_metrics' });
    getOrCreateGauge(registry, { name: 'strongbox_test_y', help: 'Y.', labelNames: ['breaker'] });
    expect(() => getOrCreateGauge(registry, { name: 'strongbox_test_y', help: 'Y.', labelNames: ['loop'] })).toThrow(/labels \[breaker\], not \[loop\]/);
  });

  it('keeps registries apart', () => {
    const one = createMetricsRegistry({ service: 's', namespace: 't_one' });
    const two = createMetricsRegistry({ service: 's', namespace: 't_two' });
    expect(getOrCreateCounter(one, { name: 'strongbox_test_z', help: 'Z.' })).not.toBe(getOrCreateCounter(two, { name: 'strongbox_test_z', help: 'Z.' }));
  });
});
