// Proves the publisher against the real NATS server: an event published twice with the same id is
// stored once (the second result says duplicate), the body is the structured CloudEvent with its
// ce-* headers, a publish inside an active span carries that span's `traceparent` while a caller's
// own `traceparent` is kept, and bad input (oversized event, invalid envelope, reserved header)
// is refused with a stable permanent code and stores nothing, while a subject no stream captures
// fails as transient. Each test has its own namespace and streams.
import { context, propagation, trace } from '@opentelemetry/api';
import { InMemorySpanExporter, NodeTracerProvider, SimpleSpanProcessor } from '@opentelemetry/sdk-trace-node';
import { EVENT_SIZE_BYTES_MAX } from '@strongbox/shared-contracts';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { CLOUDEVENTS_CONTENT_TYPE, MessagingErrorCodes, createEventPublisher, isTransientPublishError } from '../../src/index';
import { openTestBus, storedMessages, testEvent, type TestBus } from '../support/harness';

const exporter = new InMemorySpanExporter();
const provider = new NodeTracerProvider({ spanProcessors: [new SimpleSpanProcessor(exporter)] });

beforeAll(() => {
  // Registers the W3C propagator and the AsyncLocalStorage context manager for this test file's process.
  provider.register();
});
afterAll(async () => {
  await provider.shutdown();
  trace.disable();
  propagation.disable();
  context.disable();
});

const buses: TestBus[] = [];
afterEach(async () => {
  for (const bus of buses.splice(0)) await bus.dispose();
});

async function bus(): Promise<TestBus> {
  const opened = await openTestBus({ prefix: 'pub' });
  buses.push(opened);
  return opened;
}

describe('createEventPublisher', () => {
  it('stores a re-published event once: same id, same msgID, duplicate on the second result', async () => {
    const { js, jsm, namespace } = await bus();
    const publisher = createEventPublisher(js, { timeoutMs: 5_000 });
    const event = testEvent({ n: 1 });
    const subject = `${namespace}.bot.evt.widget.created.v1`;

    const first = await publisher.publish(subject, event);
    const second = await publisher.publish(subject, event);

    expect(first).toEqual({ stream: `${namespace.toUpperCase()}_BOT`, seq: 1, duplicate: false });
    expect(second).toEqual({ stream: `${namespace.toUpperCase()}_BOT`, seq: 1, duplicate: true });
    expect((await jsm.streams.info(`${namespace.toUpperCase()}_BOT`)).state.messages).toBe(1);
  });

  it('sends the structured CloudEvent with its envelope headers and the caller headers', async () => {
    const testBus = await bus();
    const { js, namespace } = testBus;
    const event = testEvent({ amountMinor: '1050' });
    await createEventPublisher(js, { timeoutMs: 5_000 }).publish(`${namespace}.bot.evt.widget.created.v1`, event, { 'x-request-id': 'r-1' });

    const [stored] = await storedMessages(testBus, `${namespace.toUpperCase()}_BOT`, `${namespace}.bot.>`);
    expect(JSON.parse(stored!.body)).toEqual(event);
    expect(stored!.headers).toMatchObject({
      'Content-Type': CLOUDEVENTS_CONTENT_TYPE,
      'ce-id': event.id,
      'ce-type': event.type,
      'ce-source': event.source,
      'ce-specversion': '1.0',
      'Nats-Msg-Id': event.id,
      'x-request-id': 'r-1',
    });
  });

  it('carries the active span as traceparent, and keeps a traceparent the caller gives', async () => {
    const testBus = await bus();
    const { js, namespace } = testBus;
    const publisher = createEventPublisher(js, { timeoutMs: 5_000 });
    const subject = `${namespace}.bot.evt.widget.created.v1`;
    const tracer = trace.getTracer('publisher-test');

    const span = tracer.startSpan('produce');
    await context.with(trace.setSpan(context.active(), span), () => publisher.publish(subject, testEvent({ n: 1 })));
    span.end();
    const outboxTraceparent = '00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01';
    await publisher.publish(subject, testEvent({ n: 2 }), { traceparent: outboxTraceparent });

    const [inSpan, fromCaller] = await storedMessages(testBus, `${namespace.toUpperCase()}_BOT`, `${namespace}.bot.>`);
    const { traceId, spanId } = span.spanContext();
    expect(inSpan!.headers['traceparent']).toBe(`00-${traceId}-${spanId}-01`);
    expect(fromCaller!.headers['traceparent']).toBe(outboxTraceparent);
  });

  it('refuses bad input with a permanent code and stores nothing', async () => {
    const testBus = await bus();
    const { js, jsm, namespace } = testBus;
    const publisher = createEventPublisher(js, { timeoutMs: 5_000 });
    const subject = `${namespace}.bot.evt.widget.created.v1`;
    const cases: Array<[string, () => Promise<unknown>, string]> = [
      ['an event over the size limit', () => publisher.publish(subject, testEvent({ blob: 'x'.repeat(EVENT_SIZE_BYTES_MAX) })), MessagingErrorCodes.payloadTooLarge],
      ['an event without an id', () => publisher.publish(subject, { ...testEvent(), id: '' }), MessagingErrorCodes.invalidEvent],
      ['a bigint in data', () => publisher.publish(subject, testEvent({ amountMinor: 10n })), MessagingErrorCodes.invalidEvent],
      ['a wildcard subject', () => publisher.publish(`${namespace}.bot.evt.>`, testEvent()), MessagingErrorCodes.invalidOption],
      ['a server header', () => publisher.publish(subject, testEvent(), { 'Nats-Expected-Stream': 'X' }), MessagingErrorCodes.invalidOption],
      ['an envelope header', () => publisher.publish(subject, testEvent(), { 'CE-ID': 'forged' }), MessagingErrorCodes.invalidOption],
    ];
    for (const [what, attempt, code] of cases) {
      const error = await attempt().then(
        () => undefined,
        (rejection: unknown) => rejection,
      );
      expect(error, what).toMatchObject({ name: 'MessagingError', code, transient: false });
      expect(isTransientPublishError(error), what).toBe(false);
    }
    expect((await jsm.streams.info(`${namespace.toUpperCase()}_BOT`)).state.messages).toBe(0);
    expect(() => createEventPublisher(js, { timeoutMs: 0 })).toThrow(expect.objectContaining({ code: MessagingErrorCodes.invalidOption }));
  });

  it('fails as transient (MESSAGING_ERR_PUBLISH_UNAVAILABLE) when no stream captures the subject', async () => {
    const { js, namespace } = await bus();
    const error = await createEventPublisher(js, { timeoutMs: 2_000 })
      .publish(`${namespace}.nowhere.evt.widget.created.v1`, testEvent())
      .catch((rejection: unknown) => rejection);
    expect(error).toMatchObject({ code: MessagingErrorCodes.publishUnavailable, transient: true });
    expect(isTransientPublishError(error)).toBe(true);
  });
});
