import { context, propagation, trace } from '@opentelemetry/api';
import { OTLPTraceExporter } from '@opentelemetry/exporter-trace-otlp-http';
import { resourceFromAttributes } from '@opentelemetry/resources';
import { ATTR_SERVICE_NAME, ATTR_SERVICE_NAMESPACE } from '@opentelemetry/semantic-conventions';
import { AlwaysOnSampler, BatchSpanProcessor, NodeTracerProvider, ParentBasedSampler, type SpanProcessor } from '@opentelemetry/sdk-trace-node';
import { ObservabilityError, ObservabilityErrorCodes } from './errors';

/** Spans waiting for export; beyond this the oldest are dropped rather than growing memory. */
const SPAN_QUEUE_SIZE_MAX = 2_048;
const SPAN_EXPORT_BATCH_SIZE_MAX = 512;
const SPAN_EXPORT_DELAY_MS = 2_000;
const SPAN_EXPORT_TIMEOUT_MS = 10_000;
/** How long `shutdown()` waits for the last spans to be exported. */
const TRACING_SHUTDOWN_TIMEOUT_MS = 5_000;

export interface Tracing {
  /** Exports what is queued (bounded in time) and unregisters the global provider. */
  shutdown(): Promise<void>;
}

let active = false;

/**
 * Registers a global OpenTelemetry tracer provider with the W3C trace-context propagator, so
 * `traceparent` can ride in message headers and trace ids reach the logs. Spans are exported over
 * OTLP/HTTP (batched) only when `otlpEndpoint` is set; otherwise they are still created and
 * propagated, just not sent anywhere. One active initialisation per process.
 *
 * @example
 * const tracing = initTracing({ service: 'ledger', namespace: 'sb', otlpEndpoint: 'http://otel-collector:4318' });
 * // … on shutdown
 * await tracing.shutdown();
 */
export function initTracing(options: { service: string; namespace: string; otlpEndpoint?: string }): Tracing {
  if (active) throw new ObservabilityError(ObservabilityErrorCodes.tracingActive, 'tracing is already initialised; shut it down first');
  active = true;

  const spanProcessors: SpanProcessor[] = [];
  if (options.otlpEndpoint !== undefined) {
    const exporter = new OTLPTraceExporter({ url: tracesUrl(options.otlpEndpoint), timeoutMillis: SPAN_EXPORT_TIMEOUT_MS });
    spanProcessors.push(
      new BatchSpanProcessor(exporter, {
        maxQueueSize: SPAN_QUEUE_SIZE_MAX,
        maxExportBatchSize: SPAN_EXPORT_BATCH_SIZE_MAX,
        scheduledDelayMillis: SPAN_EXPORT_DELAY_MS,
        exportTimeoutMillis: SPAN_EXPORT_TIMEOUT_MS,
      }),
    );
  }
  const provider = new NodeTracerProvider({
    resource: resourceFromAttributes({ [ATTR_SERVICE_NAME]: options.service, [ATTR_SERVICE_NAMESPACE]: options.namespace }),
    // Every root span is recorded; a sampled-out parent from upstream is respected.
    sampler: new ParentBasedSampler({ root: new AlwaysOnSampler() }),
    spanProcessors,
    forceFlushTimeoutMillis: TRACING_SHUTDOWN_TIMEOUT_MS,
  });
  // Left undefined, the propagator is the W3C one (traceparent/tracestate, plus baggage) and the
  // context manager is AsyncLocalStorage, which carries the active span across awaits.
  provider.register();

  let closing: Promise<void> | undefined;
  return {
    shutdown() {
      closing ??= (async () => {
        let timer: NodeJS.Timeout | undefined;
        try {
          await Promise.race([
            provider.shutdown(),
            new Promise<void>((resolve) => {
              timer = setTimeout(resolve, TRACING_SHUTDOWN_TIMEOUT_MS);
            }),
          ]);
        } finally {
          clearTimeout(timer);
          trace.disable();
          propagation.disable();
          context.disable();
          active = false;
        }
      })();
      return closing;
    },
  };
}

/**
 * OTEL_EXPORTER_OTLP_ENDPOINT is a base URL (the spec's signal-less form); traces go to
 * `<base>/v1/traces`. A URL that already names the traces path is used as it is.
 */
function tracesUrl(endpoint: string): string {
  const base = endpoint.replace(/\/+$/, '');
  return base.endsWith('/v1/traces') ? base : `${base}/v1/traces`;
}
