// Proves the consumer runner against the real NATS server, one namespace and one set of streams per
// test: a message that always fails is dead-lettered on its maxDeliver-th delivery with the error
// (masked) in its headers while later messages are handled; malformed JSON and schema-invalid
// events are dead-lettered at once, never retried; the handler runs in a span whose parent is the
// producer's traceparent; `{ retryAfterMs }` naks and redelivers after that delay; a handler past
// handleTimeoutMs is aborted and retried; a dead letter that cannot be stored keeps the message
// (naked, never termed) until it can; stop() lets the message in hand finish and hands the rest to
// the next instance, each message acked once; invalid specs are refused; and a consumer deleted
// under the runner is re-created. Outcomes are read from the stream, the consumer's state on the
// server and the runner's metrics, never from timing alone.
import { context, propagation, trace } from '@opentelemetry/api';
import { InMemorySpanExporter, NodeTracerProvider, SimpleSpanProcessor } from '@opentelemetry/sdk-trace-node';
import { DeliverPolicy, AckPolicy } from '@nats-io/jetstream';
import { cloudEventEnvelopeSchema, type CloudEvent } from '@strongbox/shared-contracts';
import { waitFor } from '@strongbox/shared-testing';
import { z } from 'zod';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import {
  DeadLetterHeaders,
  MessagingErrorCodes,
  createEventPublisher,
  startConsumer,
  type ConsumerHandle,
  type ConsumerSpec,
  type DeliveryContext,
  type HandleResult,
} from '../../src/index';
import { freshRegistry, handledCount, openTestBus, quietLogger, storedMessages, testConsumerSpec, testEvent, type TestBus } from '../support/harness';

const exporter = new InMemorySpanExporter();
const provider = new NodeTracerProvider({ spanProcessors: [new SimpleSpanProcessor(exporter)] });
beforeAll(() => provider.register());
afterAll(async () => {
  await provider.shutdown();
  trace.disable();
  propagation.disable();
  context.disable();
});

const WAIT_MS = 15_000;
const widgetSchema = cloudEventEnvelopeSchema.extend({ data: z.object({ n: z.number().int(), fail: z.boolean().optional() }) });
type Widget = z.infer<typeof widgetSchema>;

const buses: TestBus[] = [];
const handles: ConsumerHandle[] = [];
afterEach(async () => {
  for (const handle of handles.splice(0)) await handle.stop(5_000).catch(() => undefined);
  for (const bus of buses.splice(0)) await bus.dispose();
});

async function bus(): Promise<TestBus> {
  const opened = await openTestBus({ prefix: 'cons' });
  buses.push(opened);
  return opened;
}

/** One handler call as the test saw it. */
interface Call {
  readonly n: number;
  readonly eventId: string;
  readonly deliveryCount: number;
  readonly atMs: number;
}

async function consume(
  testBus: TestBus,
  spec: ConsumerSpec,
  handle: (event: Widget, delivery: DeliveryContext) => Promise<HandleResult>,
  extra: { handleTimeoutMs?: number } = {},
): Promise<{ handle: ConsumerHandle; registry: ReturnType<typeof freshRegistry> }> {
  const registry = freshRegistry();
  const consumer = await startConsumer<Widget>({
    js: testBus.js,
    jsm: testBus.jsm,
    spec,
    decode: (raw) => widgetSchema.parse(raw),
    handle,
    logger: quietLogger(),
    registry,
    ...extra,
  });
  handles.push(consumer);
  return { handle: consumer, registry };
}

async function publishWidgets(testBus: TestBus, values: Array<{ n: number; fail?: boolean }>): Promise<CloudEvent[]> {
  const publisher = createEventPublisher(testBus.js, { timeoutMs: 5_000 });
  const events: CloudEvent[] = [];
  for (const data of values) {
    const event = testEvent(data);
    await publisher.publish(`${testBus.namespace}.bot.evt.widget.created.v1`, event);
    events.push(event);
  }
  return events;
}

async function consumerSettled(testBus: TestBus, spec: ConsumerSpec, ackFloor: number): Promise<void> {
  await waitFor(
    async () => {
      const info = await testBus.jsm.consumers.info(spec.stream, spec.durable);
      return info.num_ack_pending === 0 && info.num_pending === 0 && info.ack_floor.stream_seq === ackFloor;
    },
    { timeoutMs: WAIT_MS, description: `consumer ${spec.durable} to have acked or termed everything up to seq ${ackFloor}` },
  );
}

function deadLetters(testBus: TestBus, spec: ConsumerSpec): ReturnType<typeof storedMessages> {
  return storedMessages(testBus, `${testBus.namespace.toUpperCase()}_DLQ`, spec.deadLetterSubject);
}

describe('startConsumer: failures and dead letters', () => {
  it('dead-letters a message that always fails on its maxDeliver-th delivery; later messages are still handled', async () => {
    const testBus = await bus();
    const spec = testConsumerSpec(testBus, { maxDeliver: 3, backoffMs: [100, 200] });
    const calls: Call[] = [];
    const { registry } = await consume(testBus, spec, async (event, delivery) => {
      calls.push({ n: event.data.n, eventId: event.id, deliveryCount: delivery.deliveryCount, atMs: Date.now() });
      if (event.data.fail) {
        throw Object.assign(new Error('ledger unreachable at postgres://ledger:s3cret@db.internal/ledger'), { code: 'TEST_ERR_ALWAYS' });
      }
    });
    const [poison, ...later] = await publishWidgets(testBus, [{ n: 0, fail: true }, { n: 1 }, { n: 2 }, { n: 3 }]);

    await waitFor(() => calls.filter((call) => call.n > 0).length === 3, { timeoutMs: WAIT_MS, description: 'the later messages to be handled' });
    await consumerSettled(testBus, spec, 4);

    expect(calls.filter((call) => call.n === 0).map((call) => call.deliveryCount)).toEqual([1, 2, 3]);
    expect(calls.filter((call) => call.n > 0).map((call) => call.eventId)).toEqual(later.map((event) => event.id));
    // The back-off between the failed deliveries was honoured (100 ms, then 200 ms).
    const poisonCalls = calls.filter((call) => call.n === 0);
    expect(poisonCalls[1]!.atMs - poisonCalls[0]!.atMs).toBeGreaterThanOrEqual(90);
    expect(poisonCalls[2]!.atMs - poisonCalls[1]!.atMs).toBeGreaterThanOrEqual(190);

    const letters = await deadLetters(testBus, spec);
    expect(letters).toHaveLength(1);
    const [letter] = letters;
    expect(JSON.parse(letter!.body)).toEqual(poison);
    expect(letter!.headers).toMatchObject({
      [DeadLetterHeaders.subject]: `${testBus.namespace}.bot.evt.widget.created.v1`,
      [DeadLetterHeaders.stream]: spec.stream,
      [DeadLetterHeaders.streamSeq]: '1',
      [DeadLetterHeaders.consumer]: spec.durable,
      [DeadLetterHeaders.deliveryCount]: '3',
      [DeadLetterHeaders.errorCode]: 'TEST_ERR_ALWAYS',
      'ce-id': poison!.id,
    });
    const message = letter!.headers[DeadLetterHeaders.errorMessage]!;
    expect(message).toContain('ledger unreachable');
    expect(message).not.toContain('s3cret');
    expect(message).not.toMatch(/\bat .*\.ts:\d+/);

    expect(await handledCount(registry, spec.durable, 'retried')).toBe(2);
    expect(await handledCount(registry, spec.durable, 'dead_lettered')).toBe(1);
    expect(await handledCount(registry, spec.durable, 'acked')).toBe(3);
  });

  it('dead-letters malformed JSON and schema-invalid events at once, without retrying them', async () => {
    const testBus = await bus();
    const spec = testConsumerSpec(testBus, { maxDeliver: 5 });
    const calls: Call[] = [];
    const { registry } = await consume(testBus, spec, async (event, delivery) => {
      calls.push({ n: event.data.n, eventId: event.id, deliveryCount: delivery.deliveryCount, atMs: Date.now() });
    });
    const subject = `${testBus.namespace}.bot.evt.widget.created.v1`;
    await testBus.js.publish(subject, '{"specversion": "1.0", "id": ');
    await testBus.js.publish(subject, JSON.stringify({ ...testEvent(), data: { n: 'not a number' } }));
    await testBus.js.publish(subject, new Uint8Array([0xff, 0xfe, 0x00]));
    const [good] = await publishWidgets(testBus, [{ n: 7 }]);

    await waitFor(() => calls.length === 1, { timeoutMs: WAIT_MS, description: 'the valid event to be handled' });
    await consumerSettled(testBus, spec, 4);

    expect(calls).toEqual([expect.objectContaining({ eventId: good!.id, deliveryCount: 1 })]);
    const letters = await deadLetters(testBus, spec);
    expect(letters.map((letter) => letter.headers[DeadLetterHeaders.streamSeq])).toEqual(['1', '2', '3']);
    for (const letter of letters) {
      expect(letter.headers).toMatchObject({
        [DeadLetterHeaders.errorCode]: MessagingErrorCodes.decodeFailed,
        [DeadLetterHeaders.deliveryCount]: '1',
      });
    }
    expect(letters[0]!.body).toBe('{"specversion": "1.0", "id": ');
    expect(letters[1]!.headers[DeadLetterHeaders.errorMessage]).toContain('data.n');
    expect(await handledCount(registry, spec.durable, 'decode_failed')).toBe(3);
    expect(await handledCount(registry, spec.durable, 'retried')).toBe(0);
  });

  it('keeps a message whose dead letter cannot be stored, and stores it once it can', async () => {
    const testBus = await bus();
    const durable = 'test-keep-on-widget';
    // No stream captures this dead-letter subject yet: every dead-letter publish fails.
    const spec = testConsumerSpec(testBus, { durable, maxDeliver: 1, backoffMs: [100], deadLetterSubject: `${testBus.namespace}.parked.${durable}` });
    const calls: Call[] = [];
    const { registry } = await consume(testBus, spec, async (event, delivery) => {
      calls.push({ n: event.data.n, eventId: event.id, deliveryCount: delivery.deliveryCount, atMs: Date.now() });
      throw new Error('always failing');
    });
    const [event] = await publishWidgets(testBus, [{ n: 1 }]);

    await waitFor(async () => (await handledCount(registry, durable, 'dead_letter_failed')) >= 2, {
      timeoutMs: WAIT_MS,
      description: 'the runner to fail storing the dead letter, and get the message again',
    });
    const info = await testBus.jsm.consumers.info(spec.stream, durable);
    expect(info.ack_floor.stream_seq).toBe(0);

    const parkedStream = `${testBus.namespace.toUpperCase()}_PARKED`;
    await testBus.jsm.streams.add({ name: parkedStream, subjects: [`${testBus.namespace}.parked.>`] });
    try {
      await consumerSettled(testBus, spec, 1);
      const letters = await storedMessages(testBus, parkedStream, spec.deadLetterSubject);
      expect(letters).toHaveLength(1);
      expect(JSON.parse(letters[0]!.body)).toEqual(event);
      // Its deliveries after the first went straight to the dead letter, without the handler.
      expect(letters[0]!.headers[DeadLetterHeaders.errorCode]).toBe(MessagingErrorCodes.retriesExhausted);
      expect(calls.map((call) => call.deliveryCount)).toEqual([1]);
    } finally {
      await testBus.jsm.streams.delete(parkedStream).catch(() => false);
    }
  });
});

describe('startConsumer: retries', () => {
  it('naks { retryAfterMs } with that delay and counts it as deferred, not failed', async () => {
    const testBus = await bus();
    const spec = testConsumerSpec(testBus, { maxDeliver: 3 });
    const calls: Call[] = [];
    const { registry } = await consume(testBus, spec, async (event, delivery) => {
      calls.push({ n: event.data.n, eventId: event.id, deliveryCount: delivery.deliveryCount, atMs: Date.now() });
      return delivery.deliveryCount === 1 ? { retryAfterMs: 400 } : undefined;
    });
    await publishWidgets(testBus, [{ n: 1 }]);

    await consumerSettled(testBus, spec, 1);
    expect(calls.map((call) => call.deliveryCount)).toEqual([1, 2]);
    expect(calls[1]!.atMs - calls[0]!.atMs).toBeGreaterThanOrEqual(380);
    expect(await handledCount(registry, spec.durable, 'deferred')).toBe(1);
    expect(await handledCount(registry, spec.durable, 'retried')).toBe(0);
    expect(await handledCount(registry, spec.durable, 'acked')).toBe(1);
    expect(await deadLetters(testBus, spec)).toHaveLength(0);
  });

  it('dead-letters with MESSAGING_ERR_RETRIES_EXHAUSTED when the handler still defers on the last delivery', async () => {
    const testBus = await bus();
    const spec = testConsumerSpec(testBus, { maxDeliver: 2 });
    await consume(testBus, spec, async () => ({ retryAfterMs: 50 }));
    await publishWidgets(testBus, [{ n: 1 }]);

    await consumerSettled(testBus, spec, 1);
    const letters = await deadLetters(testBus, spec);
    expect(letters.map((letter) => letter.headers[DeadLetterHeaders.errorCode])).toEqual([MessagingErrorCodes.retriesExhausted]);
    expect(letters[0]!.headers[DeadLetterHeaders.deliveryCount]).toBe('2');
  });

  it('aborts a handler past handleTimeoutMs and retries the message', async () => {
    const testBus = await bus();
    const spec = testConsumerSpec(testBus, { maxDeliver: 3, backoffMs: [50] });
    const aborts: unknown[] = [];
    const calls: Call[] = [];
    const { registry } = await consume(
      testBus,
      spec,
      async (event, delivery) => {
        calls.push({ n: event.data.n, eventId: event.id, deliveryCount: delivery.deliveryCount, atMs: Date.now() });
        if (delivery.deliveryCount > 1) return;
        // The first delivery hangs until the runner gives up on it.
        await new Promise<void>((resolve) => delivery.signal.addEventListener('abort', () => resolve(), { once: true }));
        aborts.push(delivery.signal.reason);
      },
      { handleTimeoutMs: 300 },
    );
    await publishWidgets(testBus, [{ n: 1 }]);

    await consumerSettled(testBus, spec, 1);
    expect(calls.map((call) => call.deliveryCount)).toEqual([1, 2]);
    expect(aborts).toEqual([expect.objectContaining({ code: MessagingErrorCodes.handleTimeout })]);
    expect(await handledCount(registry, spec.durable, 'retried')).toBe(1);
    expect(await handledCount(registry, spec.durable, 'acked')).toBe(1);
  });

  it('keeps a long handler alive past the ack wait with working(), so the message is not redelivered', async () => {
    const testBus = await bus();
    const spec = testConsumerSpec(testBus, { ackWaitMs: 1_000, maxAckPending: 5 });
    const calls: Call[] = [];
    await consume(
      testBus,
      spec,
      async (event, delivery) => {
        calls.push({ n: event.data.n, eventId: event.id, deliveryCount: delivery.deliveryCount, atMs: Date.now() });
        // Three ack waits long; messages 2 and 3 wait behind it, held and kept alive as well.
        if (event.data.n === 1) await new Promise((resolve) => setTimeout(resolve, 3_000));
      },
      { handleTimeoutMs: 10_000 },
    );
    await publishWidgets(testBus, [{ n: 1 }, { n: 2 }, { n: 3 }]);

    await consumerSettled(testBus, spec, 3);
    expect(calls.map((call) => [call.n, call.deliveryCount])).toEqual([
      [1, 1],
      [2, 1],
      [3, 1],
    ]);
  });
});

describe('startConsumer: tracing', () => {
  it("runs the handler in a span whose parent is the producer's traceparent", async () => {
    const testBus = await bus();
    const spec = testConsumerSpec(testBus);
    const seen: Array<{ traceId: string; spanId: string }> = [];
    await consume(testBus, spec, async () => {
      const active = trace.getActiveSpan()?.spanContext();
      if (active) seen.push({ traceId: active.traceId, spanId: active.spanId });
    });
    const producer = trace.getTracer('consumer-test').startSpan('produce');
    await context.with(trace.setSpan(context.active(), producer), () => publishWidgets(testBus, [{ n: 1 }]));
    producer.end();

    await consumerSettled(testBus, spec, 1);
    const { traceId, spanId } = producer.spanContext();
    expect(seen).toHaveLength(1);
    expect(seen[0]!.traceId).toBe(traceId);
    const processSpan = exporter.getFinishedSpans().find((span) => span.spanContext().spanId === seen[0]!.spanId);
    expect(processSpan?.name).toBe(`${spec.durable} process`);
    expect(processSpan?.parentSpanContext?.spanId).toBe(spanId);
    expect(processSpan?.attributes['messaging.strongbox.outcome']).toBe('acked');
  });
});

describe('startConsumer: lifecycle', () => {
  it('stop() lets the message in hand finish, hands the rest to the next instance, and acks each message once', async () => {
    const testBus = await bus();
    const spec = testConsumerSpec(testBus, { maxAckPending: 10, batchSizeMax: 10 });
    const order: string[] = [];
    const handledBy: Array<{ instance: string; n: number; deliveryCount: number }> = [];
    let release: () => void = () => undefined;
    const released = new Promise<void>((resolve) => {
      release = resolve;
    });
    const first = await consume(testBus, spec, async (event, delivery) => {
      handledBy.push({ instance: 'first', n: event.data.n, deliveryCount: delivery.deliveryCount });
      order.push(`started ${event.data.n}`);
      await released;
      order.push(`finished ${event.data.n}`);
    });
    await publishWidgets(testBus, [{ n: 1 }, { n: 2 }, { n: 3 }]);
    await waitFor(() => order.includes('started 1'), { timeoutMs: WAIT_MS, description: 'the first message to be in the handler' });
    // Messages 2 and 3 were pulled with it and wait behind it.
    await waitFor(async () => (await testBus.jsm.consumers.info(spec.stream, spec.durable)).num_ack_pending === 3, {
      timeoutMs: WAIT_MS,
      description: 'all three messages to be delivered to the first instance',
    });

    const stopped = first.handle.stop(5_000).then(() => order.push('stopped'));
    order.push('stop requested');
    release();
    await stopped;

    expect(order).toEqual(['started 1', 'stop requested', 'finished 1', 'stopped']);
    expect(await handledCount(first.registry, spec.durable, 'acked')).toBe(1);
    expect(await handledCount(first.registry, spec.durable, 'released')).toBe(2);

    await consume(testBus, spec, async (event, delivery) => {
      handledBy.push({ instance: 'second', n: event.data.n, deliveryCount: delivery.deliveryCount });
    });
    await consumerSettled(testBus, spec, 3);
    expect(handledBy.map(({ instance, n }) => `${instance} ${n}`)).toEqual(['first 1', 'second 2', 'second 3']);
    // Handed back once each, not lost to the stopped instance's pull request on the server.
    expect(handledBy.filter(({ instance }) => instance === 'second').map(({ deliveryCount }) => deliveryCount)).toEqual([2, 2]);
  });

  it('stop() rejects with MESSAGING_ERR_STOP_TIMEOUT when the handler overruns, and aborts its signal', async () => {
    const testBus = await bus();
    const spec = testConsumerSpec(testBus);
    let signal: AbortSignal | undefined;
    let release: () => void = () => undefined;
    const { handle } = await consume(
      testBus,
      spec,
      async (_event, delivery) => {
        signal = delivery.signal;
        await new Promise<void>((resolve) => {
          release = resolve;
        });
      },
      { handleTimeoutMs: 30_000 },
    );
    await publishWidgets(testBus, [{ n: 1 }]);
    await waitFor(() => signal !== undefined, { timeoutMs: WAIT_MS, description: 'the handler to start' });

    await expect(handle.stop(200)).rejects.toMatchObject({ code: MessagingErrorCodes.stopTimeout });
    expect(signal!.aborted).toBe(true);
    release();
    await expect(handle.stop(5_000)).resolves.toBeUndefined();
  });

  it('re-creates its consumer when it is deleted under it, and goes on handling', async () => {
    const testBus = await bus();
    const spec = testConsumerSpec(testBus);
    const seen = new Set<number>();
    await consume(testBus, spec, async (event) => {
      seen.add(event.data.n);
    });
    await publishWidgets(testBus, [{ n: 1 }]);
    await waitFor(() => seen.has(1), { timeoutMs: WAIT_MS, description: 'the first message to be handled' });

    await testBus.jsm.consumers.delete(spec.stream, spec.durable);
    await publishWidgets(testBus, [{ n: 2 }]);

    await waitFor(() => seen.has(2), { timeoutMs: 30_000, description: 'the message published after the delete to be handled' });
    expect((await testBus.jsm.consumers.info(spec.stream, spec.durable)).config.durable_name).toBe(spec.durable);
  });

  it('updates the consumer in place when its spec changes, and refuses one it cannot change', async () => {
    const testBus = await bus();
    const spec = testConsumerSpec(testBus);
    const { handle } = await consume(testBus, spec, async () => undefined);
    await handle.stop(5_000);

    await consume(testBus, { ...spec, ackWaitMs: 3_000, maxAckPending: 4, description: 'changed' }, async () => undefined);
    const info = await testBus.jsm.consumers.info(spec.stream, spec.durable);
    expect(info.config).toMatchObject({ ack_wait: 3_000_000_000, max_ack_pending: 4, description: 'changed', max_deliver: -1, ack_policy: 'explicit' });

    const pushLike = 'test-new-only-on-widget';
    await testBus.jsm.consumers.add(spec.stream, {
      durable_name: pushLike,
      ack_policy: AckPolicy.Explicit,
      deliver_policy: DeliverPolicy.New,
      filter_subject: spec.filterSubject,
    });
    await expect(consume(testBus, { ...spec, durable: pushLike }, async () => undefined)).rejects.toMatchObject({
      code: MessagingErrorCodes.consumerConflict,
    });
  });

  it('rejects invalid specs with MESSAGING_ERR_INVALID_OPTION and creates no consumer', async () => {
    const testBus = await bus();
    const spec = testConsumerSpec(testBus, { durable: 'test-never-created' });
    const invalid: Array<[string, Partial<ConsumerSpec>, { handleTimeoutMs?: number }?]> = [
      ['an empty filter subject', { filterSubject: '' }],
      ['a zero batch', { batchSizeMax: 0 }],
      ['zero deliveries', { maxDeliver: 0 }],
      ['no back-off', { backoffMs: [] }],
      ['a negative back-off', { backoffMs: [100, -1] }],
      ['an ack wait under a second', { ackWaitMs: 10 }],
      ['a dotted durable', { durable: 'a.b' }],
      ['a wildcard dead-letter subject', { deadLetterSubject: `${testBus.namespace}.dlq.*` }],
      ['zero max ack pending', { maxAckPending: 0 }],
      ['a zero handle timeout', {}, { handleTimeoutMs: 0 }],
    ];
    for (const [what, change, extra] of invalid) {
      await expect(consume(testBus, { ...spec, ...change }, async () => undefined, extra), what).rejects.toMatchObject({
        code: MessagingErrorCodes.invalidOption,
      });
    }
    await expect(testBus.jsm.consumers.info(spec.stream, spec.durable)).rejects.toThrow(/not found/);
  });
});
