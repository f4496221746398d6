// Proves the publisher's checks and headers without a server: the envelope and size checks with
// their codes, the headers of a published event (envelope, caller's, trace context kept or taken
// from the active span), refused header names, and how NATS failures are classified.
import { errors as natsErrors } from '@nats-io/transport-node';
import { context, propagation, trace } from '@opentelemetry/api';
import { AsyncLocalStorageContextManager } from '@opentelemetry/context-async-hooks';
import { W3CTraceContextPropagator } from '@opentelemetry/core';
import { EVENT_SIZE_BYTES_MAX, type CloudEvent } from '@strongbox/shared-contracts';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { MessagingErrorCodes } from './errors';
import { CLOUDEVENTS_CONTENT_TYPE, classifyPublishError, encodeEvent, publishHeaders } from './publisher';

const event: CloudEvent<{ amountMinor: string }> = {
  specversion: '1.0',
  id: '0193a0c1-7c2e-7000-8000-000000000001',
  source: 'strongbox/ledger',
  type: 'ledger.evt.account.opened.v1',
  time: '2026-01-02T03:04:05.000Z',
  subject: 'user-1',
  datacontenttype: 'application/json',
  dataschema: 'https://strongbox.example/schemas/ledger.evt.account.opened.v1.json',
  data: { amountMinor: '1050' },
};

describe('encodeEvent', () => {
  it('encodes the structured event as JSON', () => {
    expect(JSON.parse(new TextDecoder().decode(encodeEvent(event)))).toEqual(event);
  });

  it.each<[string, CloudEvent, string]>([
    ['an empty id', { ...event, id: '' }, MessagingErrorCodes.invalidEvent],
    ['a wrong spec version', { ...event, specversion: '0.3' as '1.0' }, MessagingErrorCodes.invalidEvent],
    ['an unversioned type', { ...event, type: 'ledger.evt.account.opened' }, MessagingErrorCodes.invalidEvent],
    ['a bigint amount', { ...event, data: { amountMinor: 1050n } }, MessagingErrorCodes.invalidEvent],
    ['an event over the limit', { ...event, data: { blob: 'x'.repeat(EVENT_SIZE_BYTES_MAX) } }, MessagingErrorCodes.payloadTooLarge],
  ])('refuses %s', (_what, bad, code) => {
    expect(() => encodeEvent(bad)).toThrow(expect.objectContaining({ code, transient: false }));
  });
});

describe('publishHeaders', () => {
  beforeAll(() => {
    propagation.setGlobalPropagator(new W3CTraceContextPropagator());
    context.setGlobalContextManager(new AsyncLocalStorageContextManager().enable());
  });
  afterAll(() => {
    propagation.disable();
    context.disable();
  });

  it('sets the envelope headers over the caller headers', () => {
    expect(publishHeaders(event, { 'x-request-id': 'r1' })).toEqual({
      'x-request-id': 'r1',
      'Content-Type': CLOUDEVENTS_CONTENT_TYPE,
      'ce-id': event.id,
      'ce-type': event.type,
      'ce-source': event.source,
      'ce-specversion': '1.0',
    });
  });

  it("keeps the caller's traceparent and tracestate", () => {
    const traceparent = '00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01';
    expect(publishHeaders(event, { traceparent, tracestate: 'a=b' })).toMatchObject({ traceparent, tracestate: 'a=b' });
  });

  it('injects the active span when the caller gives no traceparent, dropping an orphan tracestate', () => {
    const spanContext = { traceId: '4bf92f3577b34da6a3ce929d0e0e4736', spanId: '00f067aa0ba902b7', traceFlags: 1 };
    const headers = context.with(trace.setSpanContext(context.active(), spanContext), () => publishHeaders(event, { tracestate: 'orphan=1' }));
    expect(headers['traceparent']).toBe('00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01');
    expect(headers['tracestate']).toBeUndefined();
  });

  it.each([['Nats-Msg-Id'], ['nats-expected-stream'], ['ce-type'], ['content-type'], ['bad:name'], ['with space'], ['']])(
    'refuses the header name %j',
    (name) => {
      expect(() => publishHeaders(event, { [name]: 'x' })).toThrow(expect.objectContaining({ code: MessagingErrorCodes.invalidOption }));
    },
  );

  it('refuses too many headers', () => {
    const many = Object.fromEntries(Array.from({ length: 60 }, (_, index) => [`x-h${index}`, 'v']));
    expect(() => publishHeaders(event, many)).toThrow(expect.objectContaining({ code: MessagingErrorCodes.invalidOption }));
  });
});

describe('classifyPublishError', () => {
  it.each([
    ['a timeout', new natsErrors.TimeoutError(), MessagingErrorCodes.publishUnavailable, true],
    ['a lost connection', new natsErrors.ConnectionError('lost'), MessagingErrorCodes.publishUnavailable, true],
    ['no responders, wrapped', new Error('jetstream is not enabled', { cause: new natsErrors.NoRespondersError('s') }), MessagingErrorCodes.publishUnavailable, true],
    ['a permission violation', new natsErrors.PermissionViolationError('denied', 'publish', 's'), MessagingErrorCodes.publishRejected, false],
    ['anything else', new Error('weird'), MessagingErrorCodes.publishRejected, false],
  ])('%s → %s', (_what, error, code, transient) => {
    expect(classifyPublishError('sb.x', error)).toMatchObject({ code, transient });
  });
});
