import {
  collectDefaultMetrics,
  Counter,
  Gauge,
  Histogram,
  Registry,
  type CounterConfiguration,
  type GaugeConfiguration,
  type HistogramConfiguration,
} from 'prom-client';
import { ObservabilityError, ObservabilityErrorCodes } from './errors';

/**
 * A Prometheus registry for one service: Node.js default metrics (CPU, memory, event loop, GC) and
 * the default labels `service` and `namespace` on every series.
 *
 * @example
 * const registry = createMetricsRegistry({ service: 'ledger', namespace: 'sb' });
 */
export function createMetricsRegistry(options: { service: string; namespace: string }): Registry {
  const registry = new Registry();
  registry.setDefaultLabels({ service: options.service, namespace: options.namespace });
  collectDefaultMetrics({ register: registry });
  return registry;
}

type WithoutRegisters<T> = Omit<T, 'registers'>;

/**
 * Returns the counter called `config.name` in `registry`, creating it on first use, so several
 * libs (or several instances of one) can share a registry. Throws when the name is taken by
 * another metric type or by a counter with other label names.
 *
 * @example
 * getOrCreateCounter(registry, { name: 'strongbox_outbox_published_total', help: '…', labelNames: ['stream'] }).inc({ stream });
 */
export function getOrCreateCounter<T extends string>(registry: Registry, config: WithoutRegisters<CounterConfiguration<T>>): Counter<T> {
  return getOrCreate(registry, config, Counter, () => new Counter<T>({ ...config, registers: [registry] }));
}

/** Like `getOrCreateCounter`, for a gauge. */
export function getOrCreateGauge<T extends string>(registry: Registry, config: WithoutRegisters<GaugeConfiguration<T>>): Gauge<T> {
  return getOrCreate(registry, config, Gauge, () => new Gauge<T>({ ...config, registers: [registry] }));
}

/** Like `getOrCreateCounter`, for a histogram; pass `buckets` in the metric's unit. */
export function getOrCreateHistogram<T extends string>(
  registry: Registry,
  config: WithoutRegisters<HistogramConfiguration<T>>,
): Histogram<T> {
  return getOrCreate(registry, config, Histogram, () => new Histogram<T>({ ...config, registers: [registry] }));
}

function getOrCreate<M extends object>(
  registry: Registry,
  config: { name: string; labelNames?: readonly string[] },
  type: abstract new (...args: never[]) => M,
  create: () => M,
): M {
  const existing: unknown = registry.getSingleMetric(config.name);
  if (existing === undefined) return create();
  if (!(existing instanceof type)) {
    throw new ObservabilityError(ObservabilityErrorCodes.metricConflict, `metric ${config.name} is already registered as another type`);
  }
  // prom-client keeps the label names on the instance; it does not declare them in its types.
  const existingLabels = [...((existing as { labelNames?: readonly string[] }).labelNames ?? [])].sort();
  const wantedLabels = [...(config.labelNames ?? [])].sort();
  if (existingLabels.join(',') !== wantedLabels.join(',')) {
    throw new ObservabilityError(
      ObservabilityErrorCodes.metricConflict,
      `metric ${config.name} is already registered with labels [${existingLabels.join(', ')}], not [${wantedLabels.join(', ')}]`,
    );
  }
  return existing;
}
