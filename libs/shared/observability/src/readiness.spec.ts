// Proves how createReadiness decides: ready only when every required check is up; optional checks
// that are down are listed but do not block; a check that throws or hangs past its time limit
// counts as down with a masked reason; names are unique and bounded. Uses real timers with short
// limits, so a hanging check is really cut off.
import { describe, expect, it } from 'vitest';
import { ObservabilityErrorCodes } from './errors';
import { createReadiness, READINESS_CHECKS_MAX, type HealthCheck } from './readiness';

const up = (name: string, required: boolean, detail?: Record<string, unknown>): HealthCheck => ({
  name,
  required,
  check: async () => ({ up: true, ...(detail ? { detail } : {}) }),
});
const down = (name: string, required: boolean): HealthCheck => ({ name, required, check: async () => ({ up: false, detail: { state: 'open' } }) });
const throwing = (name: string, required: boolean, message: string): HealthCheck => ({
  name,
  required,
  check: async () => {
    throw new Error(message);
  },
});
const hanging = (name: string, required: boolean): HealthCheck => ({ name, required, timeoutMs: 50, check: () => new Promise(() => undefined) });

describe('createReadiness', () => {
  it.each([
    ['no checks', [], 'ready'],
    ['all required up', [up('postgres', true), up('nats', true)], 'ready'],
    ['an optional check down', [up('postgres', true), down('redis', false)], 'ready'],
    ['a required check down', [up('nats', true), down('postgres', true)], 'not_ready'],
    ['a required check throwing', [throwing('postgres', true, 'ECONNREFUSED')], 'not_ready'],
    ['an optional check throwing', [up('nats', true), throwing('redis', false, 'ECONNREFUSED')], 'ready'],
    ['a required check hanging', [up('nats', true), hanging('postgres', true)], 'not_ready'],
    ['an optional check hanging', [up('nats', true), hanging('chain', false)], 'ready'],
  ] as const)('with %s the service is %s', async (_case, checks, expected) => {
    const readiness = createReadiness();
    for (const check of checks) readiness.add(check);
    const report = await readiness.evaluate();
    expect(report.status).toBe(expected);
    expect(Object.keys(report.checks).sort()).toEqual(checks.map((check) => check.name).sort());
  });

  it('reports each check with status, required, detail and reason', async () => {
    const readiness = createReadiness();
    readiness.add(up('nats', true, { rttMs: 0.4, server: 'nats://user:nats-pw@127.0.0.1:4222' }));
    readiness.add(down('chain', false));
    readiness.add(throwing('postgres', true, 'connect to postgres://u:pg-pw@db:5432/x failed'));
    readiness.add(hanging('redis', false));
    const startedAt = Date.now();
    const report = await readiness.evaluate();
    expect(Date.now() - startedAt).toBeLessThan(1_000);
    expect(report.checks['nats']).toMatchObject({ status: 'up', required: true, detail: { rttMs: 0.4, server: 'nats://***@127.0.0.1:4222' } });
    expect(report.checks['chain']).toMatchObject({ status: 'down', required: false, detail: { state: 'open' } });
    expect(report.checks['postgres']).toMatchObject({ status: 'down', required: true, error: 'connect to postgres://***@db:5432/x failed' });
    expect(report.checks['redis']).toMatchObject({ status: 'down', required: false, error: 'check timed out after 50 ms' });
    expect(JSON.stringify(report)).not.toMatch(/nats-pw|pg-pw/);
  });

  it('counts a check that throws synchronously as down', async () => {
    const readiness = createReadiness();
    readiness.add({
      name: 'sync',
      required: true,
      check: () => {
        throw new Error('boom');
      },
    });
    expect((await readiness.evaluate()).checks['sync']).toMatchObject({ status: 'down', error: 'boom' });
  });

  it('refuses a duplicate name, a malformed name and more than READINESS_CHECKS_MAX checks', () => {
    const readiness = createReadiness();
    readiness.add(up('postgres', true));
    expect(() => readiness.add(up('postgres', false))).toThrow(expect.objectContaining({ code: ObservabilityErrorCodes.duplicateCheck }));
    expect(() => readiness.add(up('has space', false))).toThrow(expect.objectContaining({ code: ObservabilityErrorCodes.invalidCheck }));
    for (let index = 1; index < READINESS_CHECKS_MAX; index += 1) readiness.add(up(`check-${index}`, false));
    expect(() => readiness.add(up('one-too-many', false))).toThrow(expect.objectContaining({ code: ObservabilityErrorCodes.invalidCheck }));
  });
});
