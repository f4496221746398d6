import { fastify, type FastifyInstance } from 'fastify';
import type { Logger } from 'pino';
import type { Registry } from 'prom-client';
import { ObservabilityError, ObservabilityErrorCodes } from './errors';
import type { Readiness } from './readiness';

// ---------------------------------------------------------------------------------------------
// The ops server: what an orchestrator and Prometheus ask a service. Separate from any public
// HTTP API, so it can listen on an internal port and answer even while the service is degraded.
// ---------------------------------------------------------------------------------------------

export interface OpsServerOptions {
  host: string;
  /** 0 picks a free port (tests); `start()` reports the real one. */
  port: number;
  service: string;
  logger: Logger;
  registry: Registry;
  readiness: Readiness;
  /** While true, /readyz answers 503 without running checks, so traffic drains away. */
  isShuttingDown?: () => boolean;
}

export interface OpsServer {
  start(): Promise<{ url: string; port: number }>;
  close(): Promise<void>;
}

/** Time limits of the ops server's connections; a scrape or probe never needs more. */
const CONNECTION_TIMEOUT_MS = 10_000;
const REQUEST_TIMEOUT_MS = 10_000;
const KEEP_ALIVE_TIMEOUT_MS = 5_000;
/** The ops routes take no body. */
const BODY_BYTES_MAX = 1_024;

const checkReportSchema = {
  type: 'object',
  required: ['status', 'required', 'durationMs'],
  properties: {
    status: { type: 'string', enum: ['up', 'down'] },
    required: { type: 'boolean' },
    durationMs: { type: 'number' },
    detail: { type: 'object', additionalProperties: true },
    error: { type: 'string' },
  },
} as const;

const readinessResponseSchema = {
  type: 'object',
  required: ['status', 'service', 'shuttingDown', 'checks'],
  properties: {
    status: { type: 'string', enum: ['ready', 'not_ready'] },
    service: { type: 'string' },
    shuttingDown: { type: 'boolean' },
    checks: { type: 'object', additionalProperties: checkReportSchema },
  },
} as const;

/**
 * A fastify server with GET /healthz (liveness: 200 while the process runs), GET /readyz (200 when
 * every required check is up, 503 otherwise or while shutting down) and GET /metrics (Prometheus
 * text format).
 *
 * @example
 * const ops = createOpsServer({ host: '0.0.0.0', port: 9100, service, logger, registry, readiness });
 * const { url } = await ops.start();
 */
export function createOpsServer(options: OpsServerOptions): OpsServer {
  const isShuttingDown = options.isShuttingDown ?? (() => false);
  const app: FastifyInstance = fastify({
    // No request log: probes and scrapes every few seconds would drown the service's own log lines.
    logger: false,
    connectionTimeout: CONNECTION_TIMEOUT_MS,
    requestTimeout: REQUEST_TIMEOUT_MS,
    keepAliveTimeout: KEEP_ALIVE_TIMEOUT_MS,
    bodyLimit: BODY_BYTES_MAX,
    // Prometheus keeps its connection open; closing must not wait for it.
    forceCloseConnections: true,
    return503OnClosing: true,
  });

  app.setErrorHandler((error, request, reply) => {
    options.logger.error({ err: error, route: request.url }, 'ops server request failed');
    void reply.code(500).send({ status: 'error' });
  });

  app.get(
    '/healthz',
    {
      schema: {
        response: {
          200: {
            type: 'object',
            required: ['status', 'service', 'uptimeS'],
            properties: { status: { type: 'string', enum: ['ok'] }, service: { type: 'string' }, uptimeS: { type: 'integer' } },
          },
        },
      },
    },
    async () => ({ status: 'ok', service: options.service, uptimeS: Math.floor(process.uptime()) }),
  );

  app.get('/readyz', { schema: { response: { 200: readinessResponseSchema, 503: readinessResponseSchema } } }, async (_request, reply) => {
    if (isShuttingDown()) {
      return reply.code(503).send({ status: 'not_ready', service: options.service, shuttingDown: true, checks: {} });
    }
    const report = await options.readiness.evaluate();
    return reply.code(report.status === 'ready' ? 200 : 503).send({ ...report, service: options.service, shuttingDown: false });
  });

  app.get('/metrics', { schema: { response: { 200: { type: 'string' } } } }, async (_request, reply) => {
    const text = await options.registry.metrics();
    return reply.type(options.registry.contentType).send(text);
  });

  let started = false;
  return {
    async start() {
      if (started) throw new ObservabilityError(ObservabilityErrorCodes.opsServer, 'ops server already started');
      started = true;
      await app.listen({ host: options.host, port: options.port });
      const address = app.server.address();
      if (address === null || typeof address === 'string') {
        throw new ObservabilityError(ObservabilityErrorCodes.opsServer, `ops server has no TCP address (${String(address)})`);
      }
      return { url: `http://${urlHost(options.host)}:${address.port}`, port: address.port };
    },
    async close() {
      await app.close();
    },
  };
}

/** A wildcard listen address is not one a client can dial; loopback is, on the same machine. */
function urlHost(host: string): string {
  if (host === '0.0.0.0') return '127.0.0.1';
  if (host === '::') return '[::1]';
  return host.includes(':') ? `[${host}]` : host;
}
