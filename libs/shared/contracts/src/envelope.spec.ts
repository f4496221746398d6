// Proves the CloudEvents envelope check: a well-formed event passes; each attribute that is missing
// or malformed is refused, and the refusal names that attribute, both from the bare schema and
// through an event definition's parse (ContractError CONTRACTS_ERR_INVALID_ENVELOPE). Also pins
// which event types EVENT_TYPE_PATTERN admits, table-driven.
import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import { defineEvent } from './define-event';
import { CLOUDEVENTS_SPEC_VERSION, cloudEventEnvelopeSchema, EVENT_TYPE_PATTERN } from './envelope';
import { ContractError, ContractErrorCodes } from './errors';

const probeV1 = defineEvent({
  context: 'ledger',
  aggregate: 'probe',
  name: 'observed',
  version: 1,
  description: 'Test event for the envelope checks.',
  schema: z.object({ value: z.number().int() }),
});

/** A valid event of `probeV1`, as it would arrive from the bus. */
function goodEvent(): Record<string, unknown> {
  return {
    specversion: '1.0',
    id: '019a7c3e-5b1f-7d2a-8c3e-4f5a6b7c8d9e',
    source: 'strongbox/ledger',
    type: 'ledger.evt.probe.observed.v1',
    time: '2025-01-02T03:04:05.678Z',
    subject: '019a7c3e-0000-7000-8000-000000000001',
    datacontenttype: 'application/json',
    dataschema: 'urn:strongbox:schema:ledger.evt.probe.observed:v1',
    data: { value: 7 },
  };
}

/** Runs `parse` and returns the ContractError it throws, failing the test when it does not throw. */
function refusal(parse: () => unknown): ContractError {
  try {
    parse();
  } catch (error) {
    expect(error).toBeInstanceOf(ContractError);
    return error as ContractError;
  }
  throw new Error('expected a ContractError, but the event was accepted');
}

describe('cloudEventEnvelopeSchema', () => {
  it('accepts a well-formed event, with or without subject, and with a time offset', () => {
    expect(cloudEventEnvelopeSchema.safeParse(goodEvent()).success).toBe(true);
    const { subject: _subject, ...withoutSubject } = goodEvent();
    expect(cloudEventEnvelopeSchema.safeParse(withoutSubject).success).toBe(true);
    expect(cloudEventEnvelopeSchema.safeParse({ ...goodEvent(), time: '2025-01-02T05:04:05+02:00' }).success).toBe(true);
  });

  it('requires every attribute but subject, data included', () => {
    for (const attribute of ['specversion', 'id', 'source', 'type', 'time', 'datacontenttype', 'dataschema', 'data']) {
      const event = goodEvent();
      delete event[attribute];
      const result = cloudEventEnvelopeSchema.safeParse(event);
      expect(result.success, attribute).toBe(false);
      expect(result.error?.issues.map((issue) => issue.path.join('.'))).toContain(attribute);
    }
  });

  it('leaves the content of `data` to the event definition: null passes the envelope, not the event', () => {
    const event = { ...goodEvent(), data: null };
    expect(cloudEventEnvelopeSchema.safeParse(event).success).toBe(true);
    expect(refusal(() => probeV1.parse(event)).code).toBe(ContractErrorCodes.invalidData);
  });

  it('drops extension attributes it does not know instead of refusing the event', () => {
    const result = cloudEventEnvelopeSchema.safeParse({ ...goodEvent(), traceparent: '00-abc-def-01' });
    expect(result.success).toBe(true);
    expect(result.data).not.toHaveProperty('traceparent');
  });

  const invalid: ReadonlyArray<readonly [attribute: string, value: unknown, why: string]> = [
    ['specversion', '0.3', 'another CloudEvents version'],
    ['specversion', 1, 'a number'],
    ['id', '', 'empty'],
    ['id', 'x'.repeat(129), 'longer than 128 characters'],
    ['id', 42, 'a number'],
    ['source', '', 'empty'],
    ['source', 's'.repeat(257), 'longer than 256 characters'],
    ['type', 'ledger.evt.probe.observed', 'no version'],
    ['type', 'ledger.evt.probe.observed.v0', 'version 0'],
    ['type', 'Ledger.evt.probe.observed.v1', 'upper case'],
    ['type', 'ledger.cmd.probe.observe.v1', 'a command, not an event'],
    ['time', '2025-01-02 03:04:05', 'not RFC 3339'],
    ['time', '2025-01-02T03:04:05', 'no offset'],
    ['time', 1_735_787_045_678, 'epoch milliseconds'],
    ['time', '', 'empty'],
    ['subject', 's'.repeat(257), 'longer than 256 characters'],
    ['subject', null, 'null'],
    ['subject', 7, 'a number'],
    ['datacontenttype', 'application/xml', 'another content type'],
    ['dataschema', '', 'empty'],
  ];

  it.each(invalid)('refuses %s = %j (%s) and names the attribute', (attribute, value) => {
    const result = cloudEventEnvelopeSchema.safeParse({ ...goodEvent(), [attribute]: value });
    expect(result.success).toBe(false);
    expect(result.error?.issues.map((issue) => issue.path.join('.'))).toEqual([attribute]);
  });

  it.each([null, 'event', 42, [], undefined])('refuses %j as an envelope', (value) => {
    expect(cloudEventEnvelopeSchema.safeParse(value).success).toBe(false);
  });
});

describe('an event definition parsing the envelope', () => {
  it('returns a good event unchanged', () => {
    expect(probeV1.parse(goodEvent())).toEqual(goodEvent());
  });

  it.each(['specversion', 'id', 'source', 'type', 'time', 'datacontenttype', 'dataschema', 'data'])(
    'refuses an event without %s with CONTRACTS_ERR_INVALID_ENVELOPE naming it',
    (attribute) => {
      const event = goodEvent();
      delete event[attribute];
      const error = refusal(() => probeV1.parse(event));
      expect(error.code).toBe(ContractErrorCodes.invalidEnvelope);
      expect(error.name).toBe('ContractError');
      expect(error.issues.some((issue) => issue.startsWith(`${attribute}: `))).toBe(true);
      expect(error.message).toContain(`invalid CloudEvents envelope: ${attribute}: `);
    },
  );

  it('lists every broken attribute at once', () => {
    const error = refusal(() => probeV1.parse({ ...goodEvent(), id: '', source: '', time: 'yesterday' }));
    expect(error.issues.map((issue) => issue.split(':')[0]).sort()).toEqual(['id', 'source', 'time']);
  });

  it('refuses another well-formed type as CONTRACTS_ERR_UNKNOWN_TYPE', () => {
    const error = refusal(() => probeV1.parse({ ...goodEvent(), type: 'ledger.evt.probe.observed.v2' }));
    expect(error.code).toBe(ContractErrorCodes.unknownType);
    expect(error.message).toBe('expected type ledger.evt.probe.observed.v1, got ledger.evt.probe.observed.v2');
  });

  it('refuses a dataschema that does not match the type', () => {
    const error = refusal(() => probeV1.parse({ ...goodEvent(), dataschema: 'urn:strongbox:schema:ledger.evt.probe.observed:v2' }));
    expect(error.code).toBe(ContractErrorCodes.invalidEnvelope);
    expect(error.issues).toEqual([
      'dataschema: expected urn:strongbox:schema:ledger.evt.probe.observed:v1, got urn:strongbox:schema:ledger.evt.probe.observed:v2',
    ]);
  });
});

describe('EVENT_TYPE_PATTERN', () => {
  it.each([
    'bot.evt.user.registered.v1',
    'ledger.evt.account.opened.v12',
    'chain.evt.node.status-changed.v1',
    'chain.evt.deposit2.confirmed.v999999',
    'admin.evt.emergency-stop.switched-on.v3',
  ])('admits %s', (type) => {
    expect(type).toMatch(EVENT_TYPE_PATTERN);
  });

  it.each([
    ['bot.evt.user.registered', 'no version'],
    ['bot.evt.user.registered.v0', 'version 0'],
    ['bot.evt.user.registered.v01', 'a leading zero'],
    ['bot.evt.user.registered.v1000000', 'seven digits'],
    ['bot.evt.user.registered.V1', 'upper-case V'],
    ['bot.cmd.user.register.v1', 'not an event'],
    ['bot.evt.user.v1', 'no event name'],
    ['bot.evt.user.registered.extra.v1', 'an extra token'],
    ['bot.evt.User.registered.v1', 'upper case'],
    ['bot.evt.user.-registered.v1', 'a leading hyphen'],
    ['bot.evt.user.registered-.v1', 'a trailing hyphen'],
    ['bot.evt.user.status--changed.v1', 'a double hyphen'],
    ['bot.evt.user_profile.changed.v1', 'an underscore'],
    ['bot.evt.1user.registered.v1', 'a leading digit'],
    ['bot.evt.*.registered.v1', 'a wildcard'],
    ['bot.evt.user.registered.v1 ', 'trailing space'],
    ['sb.bot.evt.user.registered.v1', 'a namespace prefix (that belongs to the subject, not the type)'],
  ])('refuses %s (%s)', (type) => {
    expect(type).not.toMatch(EVENT_TYPE_PATTERN);
  });

  it('pins the spec version', () => {
    expect(CLOUDEVENTS_SPEC_VERSION).toBe('1.0');
  });
});
