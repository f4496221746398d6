// Proves that initTracing registers a real tracer provider and the W3C propagator globally: spans
// get valid ids that appear in log lines as trace_id/span_id, `traceparent` is injected into and
// extracted from message-style headers, and with an endpoint the spans are POSTed to
// `<endpoint>/v1/traces` — received by a plain HTTP server on a loopback port 0.
import { createServer, type IncomingMessage } from 'node:http';
import type { AddressInfo } from 'node:net';
import { context, propagation, trace, type Span } from '@opentelemetry/api';
import { afterEach, describe, expect, it } from 'vitest';
import { ObservabilityErrorCodes } from './errors';
import { createLogger } from './logger';
import { initTracing, type Tracing } from './tracing';

let tracing: Tracing | undefined;
afterEach(async () => {
  await tracing?.shutdown();
  tracing = undefined;
});

describe('initTracing', () => {
  it('creates spans whose ids reach the log lines, without an exporter', async () => {
    tracing = initTracing({ service: 'ledger', namespace: 't_trace' });
    const chunks: string[] = [];
    const logger = createLogger({ service: 'ledger', namespace: 't_trace', level: 'info', destination: { write: (chunk: string) => void chunks.push(chunk) } });

    const ids = await trace.getTracer('test').startActiveSpan('handle', async (span: Span) => {
      await new Promise((resolve) => setImmediate(resolve));
      logger.info('inside the span');
      span.end();
      return span.spanContext();
    });
    logger.info('outside any span');

    const [inside, outside] = chunks.map((chunk) => JSON.parse(chunk) as Record<string, unknown>);
    expect(ids.traceId).toMatch(/^[0-9a-f]{32}$/);
    expect(ids.traceId).not.toBe('0'.repeat(32));
    expect(inside).toMatchObject({ trace_id: ids.traceId, span_id: ids.spanId });
    expect(outside!['trace_id']).toBeUndefined();
  });

  it('injects and extracts traceparent with the W3C propagator', () => {
    tracing = initTracing({ service: 'ledger', namespace: 't_trace' });
    const span = trace.getTracer('test').startSpan('publish');
    const headers: Record<string, string> = {};
    propagation.inject(trace.setSpan(context.active(), span), headers);
    span.end();

    const { traceId, spanId } = span.spanContext();
    expect(headers['traceparent']).toBe(`00-${traceId}-${spanId}-01`);
    const extracted = trace.getSpanContext(propagation.extract(context.active(), headers));
    expect(extracted).toMatchObject({ traceId, spanId, isRemote: true });
  });

  it('refuses a second initialisation while one is active, and allows one after shutdown', async () => {
    tracing = initTracing({ service: 'ledger', namespace: 't_trace' });
    expect(() => initTracing({ service: 'ledger', namespace: 't_trace' })).toThrow(
      expect.objectContaining({ code: ObservabilityErrorCodes.tracingActive }),
    );
    await tracing.shutdown();
    await tracing.shutdown();
    tracing = initTracing({ service: 'ledger', namespace: 't_trace' });
  });

  it('exports spans over OTLP/HTTP to <endpoint>/v1/traces when an endpoint is set', async () => {
    const received: Array<{ url: string | undefined; contentType: string | undefined; body: string }> = [];
    const collector = createServer((request: IncomingMessage, response) => {
      const parts: Buffer[] = [];
      request.on('data', (part: Buffer) => parts.push(part));
      request.on('end', () => {
        received.push({ url: request.url, contentType: request.headers['content-type'], body: Buffer.concat(parts).toString('utf8') });
        response.writeHead(200, { 'content-type': 'application/json' }).end('{}');
      });
    });
    await new Promise<void>((resolve) => collector.listen(0, '127.0.0.1', resolve));
    try {
      const { port } = collector.address() as AddressInfo;
      tracing = initTracing({ service: 'chain-watcher', namespace: 't_trace', otlpEndpoint: `http://127.0.0.1:${port}/` });
      const span = trace.getTracer('test').startSpan('poll-head');
      span.end();
      // Shutdown flushes the batch processor, so the export has happened when it resolves.
      await tracing.shutdown();
      tracing = undefined;

      expect(received).toHaveLength(1);
      expect(received[0]!.url).toBe('/v1/traces');
      expect(received[0]!.contentType).toContain('application/json');
      expect(received[0]!.body).toContain('poll-head');
      expect(received[0]!.body).toContain('chain-watcher');
      expect(received[0]!.body).toContain('t_trace');
      expect(received[0]!.body).toContain(span.spanContext().traceId);
    } finally {
      await new Promise((resolve) => collector.close(resolve));
    }
  });
});
