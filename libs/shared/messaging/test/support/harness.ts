import { randomUUID } from 'node:crypto';
import { jetstream, jetstreamManager, type JetStreamClient, type JetStreamManager, type JsMsg } from '@nats-io/jetstream';
import type { NatsConnection } from '@nats-io/transport-node';
import pino, { type Logger } from 'pino';
import { Registry } from 'prom-client';
import type { CloudEvent } from '@strongbox/shared-contracts';
import { TEST_NATS_URL, uniqueNamespace } from '@strongbox/shared-testing';
import { connectNats, headersToRecord, standardStreams, ensureStreams, type ConsumerSpec, type StreamSpec } from '../../src/index';

// Shared plumbing of this lib's integration tests: a connection to the loopback NATS (or a private
// one), a fresh namespace with its own streams per test, and readers for what landed in a stream.

export const JS_TIMEOUT_MS = 5_000;

/** One test's bus: its own namespace, its own streams, removed again by `dispose()`. */
export interface TestBus {
  readonly namespace: string;
  readonly nc: NatsConnection;
  readonly js: JetStreamClient;
  readonly jsm: JetStreamManager;
  readonly streams: StreamSpec[];
  dispose(): Promise<void>;
}

/** Connects, creates the namespace's standard streams, and returns everything a test needs. */
export async function openTestBus(options: { url?: string; prefix?: string; reconnectTimeWaitMs?: number } = {}): Promise<TestBus> {
  const namespace = uniqueNamespace(options.prefix ?? 'msg');
  const nc = await connectNats({
    servers: options.url ?? TEST_NATS_URL,
    name: `${namespace}-test`,
    connectTimeoutMs: 5_000,
    ...(options.reconnectTimeWaitMs === undefined ? {} : { reconnectTimeWaitMs: options.reconnectTimeWaitMs }),
  });
  const jsm = await jetstreamManager(nc, { timeout: JS_TIMEOUT_MS });
  const js = jetstream(nc, { timeout: JS_TIMEOUT_MS });
  const streams = standardStreams(namespace);
  await ensureStreams(jsm, streams);
  return {
    namespace,
    nc,
    js,
    jsm,
    streams,
    async dispose() {
      for (const stream of streams) await jsm.streams.delete(stream.name).catch(() => false);
      await nc.close();
    },
  };
}

/** A well-formed CloudEvent of the bot context. */
export function testEvent(data: Record<string, unknown> = {}, type = 'bot.evt.widget.created.v1'): CloudEvent<Record<string, unknown>> {
  return {
    specversion: '1.0',
    id: randomUUID(),
    source: 'strongbox/test',
    type,
    time: new Date().toISOString(),
    subject: 'widget',
    datacontenttype: 'application/json',
    dataschema: `https://strongbox.example/schemas/${type}.json`,
    data,
  };
}

/** A consumer spec with test-sized timings: short ack wait and back-off. */
export function testConsumerSpec(bus: TestBus, overrides: Partial<ConsumerSpec> = {}): ConsumerSpec {
  const durable = overrides.durable ?? `test-handle-on-widget-${randomUUID().slice(0, 8)}`;
  return {
    stream: `${bus.namespace.toUpperCase()}_BOT`,
    durable,
    filterSubject: `${bus.namespace}.bot.evt.>`,
    maxDeliver: 3,
    backoffMs: [100, 200],
    ackWaitMs: 2_000,
    batchSizeMax: 10,
    maxAckPending: 1,
    deadLetterSubject: `${bus.namespace}.dlq.${durable}`,
    description: 'integration test consumer',
    ...overrides,
  };
}

/** Every message currently stored in `stream` on `subject` (a wildcard works), read without a consumer. */
export async function storedMessages(
  bus: Pick<TestBus, 'jsm'>,
  stream: string,
  subject: string,
): Promise<Array<{ seq: number; subject: string; headers: Record<string, string>; body: string }>> {
  const info = await bus.jsm.streams.info(stream);
  const result: Array<{ seq: number; subject: string; headers: Record<string, string>; body: string }> = [];
  for (let seq = info.state.first_seq; seq <= info.state.last_seq && info.state.messages > 0; seq += 1) {
    const message = await bus.jsm.streams.getMessage(stream, { seq }).catch(() => null);
    if (!message || !matches(subject, message.subject)) continue;
    result.push({ seq, subject: message.subject, headers: headersToRecord(message.header), body: new TextDecoder().decode(message.data) });
  }
  return result;
}

function matches(filter: string, subject: string): boolean {
  const filterTokens = filter.split('.');
  const subjectTokens = subject.split('.');
  for (let index = 0; index < filterTokens.length; index += 1) {
    const token = filterTokens[index];
    if (token === '>') return subjectTokens.length > index;
    if (index >= subjectTokens.length) return false;
    if (token !== '*' && token !== subjectTokens[index]) return false;
  }
  return filterTokens.length === subjectTokens.length;
}

/** A logger that stays quiet unless the runner reports a bug in itself. */
export function quietLogger(): Logger {
  return pino({ level: 'fatal' });
}

/** A fresh metrics registry, so a test reads only its own counts. */
export function freshRegistry(): Registry {
  return new Registry();
}

/** The value of `strongbox_messaging_messages_total` for one consumer and outcome. */
export async function handledCount(registry: Registry, consumer: string, outcome: string): Promise<number> {
  const metric = await registry.getSingleMetric('strongbox_messaging_messages_total')?.get();
  return metric?.values.find((value) => value.labels['consumer'] === consumer && value.labels['outcome'] === outcome)?.value ?? 0;
}

export type { JsMsg };
