import { jetstream, jetstreamManager, type JetStreamManager } from '@nats-io/jetstream';
import { connect, type NatsConnection } from '@nats-io/transport-node';
import { pino } from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { chainAlertRaisedV1, streamName, StreamBases } from '@strongbox/shared-contracts';
import { ensureStreams, standardStreams } from '@strongbox/shared-messaging';
import { createCircuitBreaker } from '@strongbox/shared-resilience';
import { TEST_NATS_URL, uniqueNamespace, waitFor } from '@strongbox/shared-testing';
import { alertWhenBreakerStaysOpen } from './breaker-alert';

const namespace = uniqueNamespace('brk');
let nc: NatsConnection;
let jsm: JetStreamManager;

beforeAll(async () => {
  nc = await connect({ servers: TEST_NATS_URL });
  jsm = await jetstreamManager(nc);
  await ensureStreams(jsm, standardStreams(namespace));
});

afterAll(async () => {
  for (const base of Object.values(StreamBases)) await jsm.streams.delete(streamName(namespace, base)).catch(() => undefined);
  await nc.close();
});

const stored = async () => (await jsm.streams.info(streamName(namespace, StreamBases.chain))).state.messages;
const fail = () => Promise.reject(new Error('node down'));

describe('alertWhenBreakerStaysOpen', () => {
  it('raises BREAKER_OPEN once the breaker stayed open past the threshold, and nothing for a short opening', async () => {
    const target = { js: jetstream(nc), namespace, logger: pino({ level: 'silent' }) };
    const short = createCircuitBreaker({ name: 'short-rpc', consecutiveFailures: 1, halfOpenAfterMs: 10 });
    alertWhenBreakerStaysOpen(short, target, { context: 'chain', service: 'chain-watcher', afterMs: 400 });
    await short.execute(fail).catch(() => undefined);
    await waitFor(() => short.state() === 'open', { timeoutMs: 1_000, description: 'the short breaker open' });
    await waitFor(async () => {
      await short.execute(() => Promise.resolve()).catch(() => undefined);
      return short.state() === 'closed';
    }, { timeoutMs: 2_000, description: 'the short breaker closed again' });

    const long = createCircuitBreaker({ name: 'long-rpc', consecutiveFailures: 1, halfOpenAfterMs: 60_000 });
    const stop = alertWhenBreakerStaysOpen(long, target, { context: 'chain', service: 'chain-watcher', afterMs: 400 });
    await long.execute(fail).catch(() => undefined);
    await waitFor(async () => (await stored()) >= 1, { timeoutMs: 5_000, description: 'the breaker alert' });
    stop();
    const message = await jsm.streams.getMessage(streamName(namespace, StreamBases.chain), { seq: 1 });
    expect(chainAlertRaisedV1.parse(message?.json()).data).toMatchObject({ code: 'BREAKER_OPEN', dedupeKey: 'breaker:chain-watcher:long-rpc', details: { breaker: 'long-rpc' } });
  });
});
