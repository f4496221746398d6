// Proves the exchange rates against a local fake rate API and a private redis-server: a sync takes
// the rates into memory and Redis and fiatValue converts exactly; an API that is down (503, hung,
// gone) is retried a bounded number of times, then the last rates are served and a new process
// gets them from Redis; garbage answers (not JSON, wrong shape, exponent rates, a future asOf, 404)
// never replace good rates; with Redis killed the sync and the values go on from memory; an old
// rate is served as stale with its age and triggers a refresh that clears it; an older answer
// never replaces newer rates; the breaker stops calling an API that keeps failing.
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { defineAsset } from '@strongbox/shared-domain';
import { uniqueNamespace, waitFor } from '@strongbox/shared-testing';
import { createExchangeRates, fiatValueText, type ExchangeRates, type ExchangeRatesOptions } from '../../src/index';
import { startFakeRatesServer, type FakeRatesServer } from '../support/fake-rates.server';
import { privateRedisUnderTest, testLogger, type RedisUnderTest } from '../support/gateway.harness';

const USDT = defineAsset('USDT', 6);
const RATES = { USDT: { USD: '1.0002', RUB: '92.41' }, EURT: { EUR: '1' } };

let api: FakeRatesServer;
let redis: RedisUnderTest;
const started: ExchangeRates[] = [];

beforeAll(async () => {
  api = await startFakeRatesServer();
  redis = await privateRedisUnderTest(uniqueNamespace('gwr'));
});

afterAll(async () => {
  await api?.close();
  await redis?.dispose();
});

afterEach(async () => {
  for (const rates of started.splice(0)) await rates.stop();
  if (redis.client.status !== 'ready') {
    await redis.server.restart();
    await redis.waitUntilReady();
  }
  await redis.client.del('rates:latest');
});

function rates(overrides: Partial<ExchangeRatesOptions> = {}): ExchangeRates {
  const created = createExchangeRates({
    url: api.url,
    redis: redis.client,
    logger: testLogger,
    syncIntervalMs: 60_000,
    staleAfterMs: 120_000,
    fetchTimeoutMs: 500,
    fetchAttemptsMax: 3,
    retryDelayMsInitial: 10,
    retryDelayMsMax: 20,
    breakerFailures: 5,
    ...overrides,
  });
  started.push(created);
  return created;
}

describe('exchange rates', () => {
  it('syncs into memory and Redis and converts exactly', async () => {
    const asOf = new Date(Date.now() - 1_000);
    api.answerRates(asOf, RATES);
    const service = rates();
    expect(service.fiatValue(12_345_678n, USDT, 'RUB')).toBeUndefined();
    expect(await service.refresh()).toBe(true);
    expect(service.fiatValue(12_345_678n, USDT, 'RUB')).toMatchObject({ value: '1140.86', fiat: 'RUB', asOf, stale: false });
    expect(service.fiatValue(1n, USDT, 'USD')?.value).toBe('0.00');
    expect(service.fiatValue(1_000_000n, USDT, 'EUR')).toBeUndefined();
    expect(JSON.parse((await redis.client.get('rates:latest'))!)).toEqual({ asOf: asOf.toISOString(), rates: RATES });
  });

  it.each([
    ['503', { status: 503, body: 'down' }],
    ['a hung API', 'hang' as const],
  ])('with the API down (%s) retries a bounded number of times and serves the last rates; a new process reads them from Redis', async (_case, answer) => {
    const asOf = new Date(Date.now() - 1_000);
    api.answerRates(asOf, RATES);
    expect(await rates().refresh()).toBe(true);

    api.answer(answer);
    const fresh = rates();
    const before = api.requests();
    expect(await fresh.refresh()).toBe(true);
    expect(api.requests() - before).toBe(3);
    expect(fresh.fiatValue(1_000_000n, USDT, 'USD')).toMatchObject({ value: '1.00', asOf });
  });

  it.each([
    ['not JSON', { status: 200, body: '<html>oops</html>' }],
    ['a wrong shape', { status: 200, body: JSON.stringify({ rates: [1, 2] }) }],
    ['an exponent rate', { status: 200, body: JSON.stringify({ asOf: new Date().toISOString(), rates: { USDT: { USD: '1e3' } } }) }],
    ['a negative rate', { status: 200, body: JSON.stringify({ asOf: new Date().toISOString(), rates: { USDT: { USD: '-1' } } }) }],
    ['a number instead of a string', { status: 200, body: JSON.stringify({ asOf: new Date().toISOString(), rates: { USDT: { USD: 1.5 } } }) }],
    ['a future asOf', { status: 200, body: JSON.stringify({ asOf: new Date(Date.now() + 3_600_000).toISOString(), rates: { USDT: { USD: '9' } } }) }],
    ['a 404', { status: 404, body: '{}' }],
  ])('never lets %s replace good rates, and does not retry it', async (_case, answer) => {
    const asOf = new Date(Date.now() - 1_000);
    api.answerRates(asOf, RATES);
    const service = rates();
    await service.refresh();
    api.answer(answer);
    const before = api.requests();
    expect(await service.refresh()).toBe(false);
    expect(api.requests() - before).toBe(1);
    expect(service.fiatValue(1_000_000n, USDT, 'USD')).toMatchObject({ value: '1.00', asOf });
  });

  it('goes on from memory with Redis killed', async () => {
    await redis.server.kill();
    const asOf = new Date(Date.now() - 1_000);
    api.answerRates(asOf, RATES);
    const service = rates();
    expect(await service.refresh()).toBe(true);
    expect(service.fiatValue(2_000_000n, USDT, 'RUB')).toMatchObject({ value: '184.82', stale: false });
    api.answer({ status: 503, body: 'down' });
    expect(await service.refresh()).toBe(false);
    expect(service.fiatValue(2_000_000n, USDT, 'RUB')?.value).toBe('184.82');
  });

  it('serves an old rate as stale with its age, and the refresh it triggers clears that', async () => {
    const oldAsOf = new Date(Date.now() - 10 * 60_000);
    api.answerRates(oldAsOf, RATES);
    const service = rates();
    await service.refresh();
    const freshAsOf = new Date();
    api.answerRates(freshAsOf, { USDT: { USD: '1.5' } });
    const stale = service.fiatValue(1_000_000n, USDT, 'USD');
    expect(stale).toMatchObject({ value: '1.00', stale: true, asOf: oldAsOf });
    expect(stale!.ageMs).toBeGreaterThanOrEqual(10 * 60_000);
    const t = (key: string, variables?: Record<string, string | number>) => `${key} ${JSON.stringify(variables ?? {})}`;
    expect(fiatValueText(t, stale)).toBe('platform-fiat-value-stale {"value":"1.00","fiat":"USD","minutes":10}');
    await waitFor(() => service.fiatValue(1_000_000n, USDT, 'USD')?.stale === false, { timeoutMs: 5_000, description: 'the refreshed rate' });
    expect(service.fiatValue(1_000_000n, USDT, 'USD')).toMatchObject({ value: '1.50', asOf: freshAsOf });
    expect(fiatValueText(t, undefined)).toBe('platform-fiat-value-unknown {}');
  });

  it('never replaces newer rates with an older answer', async () => {
    const newer = new Date(Date.now() - 1_000);
    api.answerRates(newer, RATES);
    const service = rates();
    await service.refresh();
    api.answerRates(new Date(newer.getTime() - 60_000), { USDT: { USD: '7' } });
    expect(await service.refresh()).toBe(false);
    expect(service.fiatValue(1_000_000n, USDT, 'USD')).toMatchObject({ value: '1.00', asOf: newer });
  });

  it('opens the breaker after failed syncs and stops calling the API', async () => {
    api.answer({ status: 503, body: 'down' });
    const service = rates({ breakerFailures: 2, fetchAttemptsMax: 1 });
    await service.refresh();
    await service.refresh();
    const before = api.requests();
    await service.refresh();
    await service.refresh();
    expect(api.requests()).toBe(before);
  });

  it('loads Redis at start and syncs in the background', async () => {
    const asOf = new Date(Date.now() - 1_000);
    api.answerRates(asOf, RATES);
    await rates().refresh();
    api.answer('hang');
    const service = rates({ syncIntervalMs: 50 });
    await service.start();
    expect(service.fiatValue(1_000_000n, USDT, 'USD')?.asOf).toEqual(asOf);
    const newer = new Date();
    api.answerRates(newer, RATES);
    await waitFor(() => service.snapshot()?.asOf.getTime() === newer.getTime(), { timeoutMs: 5_000, description: 'the background sync' });
  });
});
