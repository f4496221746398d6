// Proves the ops server's contract over real HTTP on a loopback port 0: /healthz is liveness only,
// /readyz answers 200 or 503 from the readiness checks (optional checks listed but not blocking,
// 503 while shutting down), /metrics serves the registry in Prometheus text format with its
// content type, and close() frees the port.
import { afterEach, describe, expect, it } from 'vitest';
import { createLogger } from './logger';
import { createMetricsRegistry, getOrCreateCounter } from './metrics.registry';
import { createOpsServer, type OpsServer } from './ops.server';
import { createReadiness, type Readiness } from './readiness';

const REQUEST_TIMEOUT_MS = 5_000;
const servers: OpsServer[] = [];
afterEach(async () => {
  await Promise.all(servers.splice(0).map((server) => server.close()));
});

async function startServer(setup: (readiness: Readiness) => void, isShuttingDown?: () => boolean) {
  const chunks: string[] = [];
  const logger = createLogger({ service: 'ledger', namespace: 't_ops', level: 'info', destination: { write: (chunk: string) => void chunks.push(chunk) } });
  const registry = createMetricsRegistry({ service: 'ledger', namespace: 't_ops' });
  const readiness = createReadiness();
  setup(readiness);
  const server = createOpsServer({ host: '127.0.0.1', port: 0, service: 'ledger', logger, registry, readiness, ...(isShuttingDown ? { isShuttingDown } : {}) });
  servers.push(server);
  const address = await server.start();
  return { ...address, registry, server };
}

async function get(url: string): Promise<{ status: number; contentType: string | null; text: string }> {
  const response = await fetch(url, { signal: AbortSignal.timeout(REQUEST_TIMEOUT_MS) });
  return { status: response.status, contentType: response.headers.get('content-type'), text: await response.text() };
}

describe('createOpsServer', () => {
  it('listens on the port it was given as 0 and reports it', async () => {
    const { url, port } = await startServer(() => undefined);
    expect(port).toBeGreaterThan(0);
    expect(url).toBe(`http://127.0.0.1:${port}`);
  });

  it('answers /healthz even when a required dependency is down', async () => {
    const { url } = await startServer((readiness) => readiness.add({ name: 'postgres', required: true, check: async () => ({ up: false }) }));
    const response = await get(`${url}/healthz`);
    expect(response.status).toBe(200);
    expect(JSON.parse(response.text)).toEqual({ status: 'ok', service: 'ledger', uptimeS: expect.any(Number) });
  });

  it.each([
    ['every required check up', true, true, 200, 'ready'],
    ['an optional check down', true, false, 200, 'ready'],
    ['a required check down', false, true, 503, 'not_ready'],
  ])('answers /readyz with %s', async (_case, requiredUp, optionalUp, status, readiness) => {
    const { url } = await startServer((checks) => {
      checks.add({ name: 'postgres', required: true, check: async () => ({ up: requiredUp, detail: { schema: 't_ops_ledger' } }) });
      checks.add({ name: 'chain', required: false, check: async () => ({ up: optionalUp, detail: { breaker: optionalUp ? 'closed' : 'open' } }) });
    });
    const response = await get(`${url}/readyz`);
    expect(response.status).toBe(status);
    const body = JSON.parse(response.text) as Record<string, unknown>;
    expect(body).toMatchObject({
      status: readiness,
      service: 'ledger',
      shuttingDown: false,
      checks: {
        postgres: { status: requiredUp ? 'up' : 'down', required: true, detail: { schema: 't_ops_ledger' } },
        chain: { status: optionalUp ? 'up' : 'down', required: false, detail: { breaker: optionalUp ? 'closed' : 'open' } },
      },
    });
  });

  it('answers /readyz 503 while shutting down, without running the checks', async () => {
    let shuttingDown = false;
    let runs = 0;
    const { url } = await startServer(
      (readiness) =>
        readiness.add({
          name: 'nats',
          required: true,
          check: async () => {
            runs += 1;
            return { up: true };
          },
        }),
      () => shuttingDown,
    );
    expect((await get(`${url}/readyz`)).status).toBe(200);
    shuttingDown = true;
    const response = await get(`${url}/readyz`);
    expect(response.status).toBe(503);
    expect(JSON.parse(response.text)).toEqual({ status: 'not_ready', service: 'ledger', shuttingDown: true, checks: {} });
    expect(runs).toBe(1);
  });

  it('serves /metrics in the Prometheus text format', async () => {
    const { url, registry } = await startServer(() => undefined);
    getOrCreateCounter(registry, { name: 'strongbox_test_requests_total', help: 'Requests.' }).inc(3);
    const response = await get(`${url}/metrics`);
    expect(response.status).toBe(200);
    expect(response.contentType).toBe('text/plain; version=0.0.4; charset=utf-8');
    expect(response.text).toContain('# TYPE strongbox_test_requests_total counter');
    expect(response.text).toContain('strongbox_test_requests_total{service="ledger",namespace="t_ops"} 3');
    expect(response.text).toContain('process_resident_memory_bytes');
  });

  it('frees the port on close', async () => {
    const { url, server } = await startServer(() => undefined);
    await server.close();
    await expect(get(`${url}/healthz`)).rejects.toThrow();
  });
});
