// Proves that superviseLoop keeps a background loop alive: after errors it restarts with back-off,
// counts consecutive errors in a gauge, logs warnings and then alerts (error level, alert: true)
// past the limit, resets once the loop runs healthily, and stop() aborts the signal and waits for
// the loop (or reports one that will not stop). Real logger into memory, real metrics registry,
// real short timers; conditions are polled with a deadline.
import { afterEach, describe, expect, it } from 'vitest';
import { createLogger, createMetricsRegistry } from '@strongbox/shared-observability';
import type { Registry } from 'prom-client';
import { ResilienceErrorCodes } from './errors';
import { superviseLoop, type SupervisedLoop } from './loop.supervisor';

const WAIT_MS_MAX = 5_000;
const loops: SupervisedLoop[] = [];
afterEach(async () => {
  await Promise.all(loops.splice(0).map((loop) => loop.stop(1_000).catch(() => undefined)));
});

async function waitFor(condition: () => boolean | Promise<boolean>, what: string): Promise<void> {
  const deadline = Date.now() + WAIT_MS_MAX;
  while (!(await condition())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 5));
  }
}

function setup() {
  const chunks: string[] = [];
  const logger = createLogger({ service: 'chain-watcher', namespace: 't_loop', level: 'debug', destination: { write: (chunk: string) => void chunks.push(chunk) } });
  const registry = createMetricsRegistry({ service: 'chain-watcher', namespace: 't_loop' });
  const lines = () => chunks.join('').split('\n').filter(Boolean).map((line) => JSON.parse(line) as Record<string, unknown>);
  return { logger, registry, lines };
}

async function gauge(registry: Registry, name: string): Promise<number | undefined> {
  const metric = (await registry.getMetricsAsJSON()).find((entry) => entry.name === name);
  return metric?.values.find((value) => value.labels['loop'] === 'poller')?.value;
}

describe('superviseLoop', () => {
  it('restarts after errors, counts them, and alerts past the limit', async () => {
    const { logger, registry, lines } = setup();
    let runs = 0;
    const loop = superviseLoop({
      name: 'poller',
      logger,
      registry,
      delayMsInitial: 1,
      delayMsMax: 4,
      healthyAfterMs: 60_000,
      consecutiveErrorsAlert: 3,
      run: async (signal) => {
        runs += 1;
        if (runs <= 4) throw new Error(`node down ${runs}`);
        await new Promise<void>((resolve) => signal.addEventListener('abort', () => resolve()));
      },
    });
    loops.push(loop);
    await waitFor(() => runs === 5, 'the fifth run');

    const failures = lines().filter((line) => String(line['msg']).includes('poller'));
    expect(failures.map((line) => [line['level'], line['consecutiveErrors'], line['alert']])).toEqual([
      ['warn', 1, undefined],
      ['warn', 2, undefined],
      ['error', 3, true],
      ['error', 4, true],
    ]);
    expect(failures[0]).toMatchObject({ loop: 'poller', err: { message: 'node down 1' } });
    expect(await gauge(registry, 'strongbox_loop_consecutive_errors')).toBe(4);
    expect(await gauge(registry, 'strongbox_loop_errors_total')).toBe(4);

    await loop.stop();
    expect(lines().at(-1)).toMatchObject({ msg: 'supervised loop stopped', loop: 'poller' });
  });

  it('calls onRepeatedFailures from the alert limit on, and survives a callback that throws', async () => {
    const { logger, lines } = setup();
    let runs = 0;
    const calls: Array<[string, number, string]> = [];
    const loop = superviseLoop({
      name: 'poller',
      logger,
      delayMsInitial: 1,
      delayMsMax: 4,
      healthyAfterMs: 60_000,
      consecutiveErrorsAlert: 2,
      onRepeatedFailures: ({ name, consecutiveErrors, error }) => {
        calls.push([name, consecutiveErrors, (error as Error).message]);
        throw new Error('alert sink down');
      },
      run: async (signal) => {
        runs += 1;
        if (runs <= 3) throw new Error(`node down ${runs}`);
        await new Promise<void>((resolve) => signal.addEventListener('abort', () => resolve()));
      },
    });
    loops.push(loop);
    await waitFor(() => runs === 4, 'the fourth run');
    expect(calls).toEqual([
      ['poller', 2, 'node down 2'],
      ['poller', 3, 'node down 3'],
    ]);
    expect(lines().filter((line) => line['msg'] === 'onRepeatedFailures threw')).toHaveLength(2);
  });

  it('resets the count once a run stays healthy for healthyAfterMs', async () => {
    const { logger, registry, lines } = setup();
    let runs = 0;
    const loop = superviseLoop({
      name: 'poller',
      logger,
      registry,
      delayMsInitial: 1,
      delayMsMax: 2,
      healthyAfterMs: 30,
      consecutiveErrorsAlert: 10,
      run: async (signal) => {
        runs += 1;
        if (runs <= 2) throw new Error('flaky');
        await new Promise<void>((resolve) => signal.addEventListener('abort', () => resolve()));
      },
    });
    loops.push(loop);
    await waitFor(async () => runs === 3 && (await gauge(registry, 'strongbox_loop_consecutive_errors')) === 0, 'recovery');
    expect(lines().some((line) => line['msg'] === 'supervised loop poller recovered')).toBe(true);
  });

  it('restarts a run that returns, without counting an error', async () => {
    const { logger, registry } = setup();
    let runs = 0;
    const loop = superviseLoop({ name: 'poller', logger, registry, delayMsInitial: 1, delayMsMax: 2, consecutiveErrorsAlert: 1, run: async () => void (runs += 1) });
    loops.push(loop);
    await waitFor(() => runs >= 3, 'three runs');
    expect(await gauge(registry, 'strongbox_loop_errors_total')).toBe(0);
  });

  it('stop() aborts the signal and does not count the abort as an error', async () => {
    const { logger, registry, lines } = setup();
    let started = false;
    const loop = superviseLoop({
      name: 'poller',
      logger,
      registry,
      delayMsInitial: 1,
      delayMsMax: 2,
      consecutiveErrorsAlert: 1,
      run: (signal) =>
        new Promise((_resolve, reject) => {
          started = true;
          signal.addEventListener('abort', () => reject(new Error('aborted request')));
        }),
    });
    await waitFor(() => started, 'the first run');
    await loop.stop();
    expect(await gauge(registry, 'strongbox_loop_errors_total')).toBe(0);
    expect(lines().filter((line) => line['level'] === 'error' || line['level'] === 'warn')).toEqual([]);
  });

  it('stop() reports a run that ignores the abort', async () => {
    const { logger, lines } = setup();
    let started = false;
    const loop = superviseLoop({
      name: 'poller',
      logger,
      delayMsInitial: 1,
      delayMsMax: 2,
      consecutiveErrorsAlert: 1,
      run: () => {
        started = true;
        return new Promise(() => undefined);
      },
    });
    await waitFor(() => started, 'the first run');
    await expect(loop.stop(30)).rejects.toMatchObject({ code: ResilienceErrorCodes.loopStopTimeout, loop: 'poller' });
    expect(lines().at(-1)).toMatchObject({ level: 'error', alert: true, loop: 'poller' });
  });
});
