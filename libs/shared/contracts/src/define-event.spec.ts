// Proves defineEvent: a definition's type is `<context>.evt.<aggregate>.<name>.v<version>` and a
// malformed one fails at definition, naming every problem; create fills a valid CloudEvents
// envelope (UUIDv7 id, RFC 3339 time) and refuses bad data, a bad envelope and oversized events
// with distinct codes; parse checks data against the schema; unknown data fields are dropped on
// both sides (tolerant reader); and whatever create returns survives JSON and parse unchanged.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import { isUuidV7, uuidV7TimeMs } from '@strongbox/shared-domain';
import { defineEvent } from './define-event';
import { EVENT_SIZE_BYTES_MAX, EVENT_TYPE_PATTERN } from './envelope';
import { ContractError, ContractErrorCodes } from './errors';
import type { Context } from './naming';

const sampleV2 = defineEvent({
  context: 'ledger',
  aggregate: 'sample-thing',
  name: 'status-changed',
  version: 2,
  description: 'Test event for defineEvent.',
  schema: z.object({
    thingId: z.uuid(),
    count: z.number().int().nonnegative(),
    note: z.string().max(10_000).optional(),
    tags: z.array(z.string().min(1)).max(100).default([]),
  }),
});

const thingId = '019a7c3e-5b1f-7d2a-8c3e-4f5a6b7c8d9e';

/** Runs `action` and returns the ContractError it throws, failing the test when it does not throw. */
function refusal(action: () => unknown): ContractError {
  try {
    action();
  } catch (error) {
    expect(error).toBeInstanceOf(ContractError);
    return error as ContractError;
  }
  throw new Error('expected a ContractError');
}

describe('defineEvent: the definition', () => {
  it('derives type and dataschema from context, aggregate, name and version', () => {
    expect(sampleV2.type).toBe('ledger.evt.sample-thing.status-changed.v2');
    expect(sampleV2.type).toMatch(EVENT_TYPE_PATTERN);
    expect(sampleV2.dataschema).toBe('urn:strongbox:schema:ledger.evt.sample-thing.status-changed:v2');
    expect(sampleV2).toMatchObject({ context: 'ledger', aggregate: 'sample-thing', name: 'status-changed', version: 2 });
  });

  const base = { context: 'bot' as Context, aggregate: 'user', name: 'registered', version: 1, description: 'x', schema: z.object({}) };
  it.each([
    ['an unknown context', { context: 'billing' as Context }, 'context "billing" is not one of bot, ledger, chain, notify, admin'],
    ['an upper-case aggregate', { aggregate: 'User' }, 'aggregate "User" must match'],
    ['a dotted aggregate', { aggregate: 'user.profile' }, 'aggregate "user.profile" must match'],
    ['a name with an underscore', { name: 'status_changed' }, 'name "status_changed" must match'],
    ['a name with a wildcard', { name: '*' }, 'name "*" must match'],
    ['an empty name', { name: '' }, 'name "" must match'],
    ['version 0', { version: 0 }, 'version must be an integer from 1 to 999999, got 0'],
    ['a fractional version', { version: 1.5 }, 'got 1.5'],
    ['a version above the maximum', { version: 1_000_000 }, 'got 1000000'],
    ['a blank description', { description: '  ' }, 'description is empty'],
  ])('refuses %s with CONTRACTS_ERR_INVALID_DEFINITION', (_label, override, problem) => {
    const error = refusal(() => defineEvent({ ...base, ...override }));
    expect(error.code).toBe(ContractErrorCodes.invalidDefinition);
    expect(error.issues).toEqual([expect.stringContaining(problem)]);
  });

  it('names every problem of a definition at once', () => {
    const error = refusal(() => defineEvent({ ...base, aggregate: 'A', name: 'B', version: -1 }));
    expect(error.issues).toHaveLength(3);
    expect(error.message).toMatch(/^invalid event definition bot\.evt\.A\.B\.v-1: aggregate .*; name .*; version /);
  });
});

describe('defineEvent: create', () => {
  it('builds a complete CloudEvents envelope around valid data', () => {
    const beforeMs = Date.now();
    const event = sampleV2.create({ source: 'strongbox/ledger', subject: thingId, data: { thingId, count: 3 } });
    expect(event).toEqual({
      specversion: '1.0',
      id: expect.any(String),
      source: 'strongbox/ledger',
      type: 'ledger.evt.sample-thing.status-changed.v2',
      time: expect.any(String),
      subject: thingId,
      datacontenttype: 'application/json',
      dataschema: 'urn:strongbox:schema:ledger.evt.sample-thing.status-changed:v2',
      // The schema's default fills `tags`: events carry the output of the schema, not the input.
      data: { thingId, count: 3, tags: [] },
    });
    expect(isUuidV7(event.id)).toBe(true);
    expect(uuidV7TimeMs(event.id)).toBeGreaterThanOrEqual(beforeMs);
    expect(Date.parse(event.time)).toBeGreaterThanOrEqual(beforeMs);
  });

  it('uses the given id and time, and leaves subject out when none is given', () => {
    const event = sampleV2.create({
      source: 'strongbox/ledger',
      id: 'ledger-thing-7',
      time: new Date('2025-01-02T03:04:05.678Z'),
      data: { thingId, count: 0 },
    });
    expect(event.id).toBe('ledger-thing-7');
    expect(event.time).toBe('2025-01-02T03:04:05.678Z');
    expect(event).not.toHaveProperty('subject');
  });

  it('gives every event its own, increasing id', () => {
    const ids = Array.from({ length: 100 }, () => sampleV2.create({ source: 'strongbox/ledger', data: { thingId, count: 1 } }).id);
    expect(new Set(ids).size).toBe(100);
    expect([...ids].sort()).toEqual(ids);
  });

  it('refuses data that breaks the schema with CONTRACTS_ERR_INVALID_DATA, naming each field', () => {
    const error = refusal(() =>
      sampleV2.create({ source: 'strongbox/ledger', data: { thingId: 'not-a-uuid', count: -1 } as unknown as { thingId: string; count: number } }),
    );
    expect(error.code).toBe(ContractErrorCodes.invalidData);
    expect(error.message).toMatch(/^invalid data for ledger\.evt\.sample-thing\.status-changed\.v2: /);
    expect(error.issues.map((issue) => issue.split(':')[0]).sort()).toEqual(['count', 'thingId']);
  });

  it('refuses missing data', () => {
    const error = refusal(() => sampleV2.create({ source: 'strongbox/ledger', data: undefined as unknown as { thingId: string; count: number } }));
    expect(error.code).toBe(ContractErrorCodes.invalidData);
    expect(error.issues).toEqual([expect.stringMatching(/^\(root\): /)]);
  });

  it.each([
    ['an empty source', { source: '' }, 'source'],
    ['an empty id', { id: '' }, 'id'],
    ['an over-long subject', { subject: 's'.repeat(257) }, 'subject'],
  ])('refuses %s with CONTRACTS_ERR_INVALID_ENVELOPE', (_label, override, attribute) => {
    const error = refusal(() => sampleV2.create({ source: 'strongbox/ledger', data: { thingId, count: 1 }, ...override }));
    expect(error.code).toBe(ContractErrorCodes.invalidEnvelope);
    expect(error.issues).toEqual([expect.stringMatching(new RegExp(`^${attribute}: `))]);
  });

  it('refuses an invalid Date as a contract problem, not a bare RangeError', () => {
    const error = refusal(() => sampleV2.create({ source: 'strongbox/ledger', time: new Date(Number.NaN), data: { thingId, count: 1 } }));
    expect(error.code).toBe(ContractErrorCodes.invalidEnvelope);
    expect(error.issues).toEqual(['time: not a valid date']);
  });

  it('refuses an event larger than EVENT_SIZE_BYTES_MAX with CONTRACTS_ERR_EVENT_TOO_LARGE', () => {
    const tags = Array.from({ length: 100 }, () => 'x'.repeat(Math.ceil(EVENT_SIZE_BYTES_MAX / 100)));
    const error = refusal(() => sampleV2.create({ source: 'strongbox/ledger', data: { thingId, count: 1, tags } }));
    expect(error.code).toBe(ContractErrorCodes.eventTooLarge);
    expect(error.message).toMatch(new RegExp(`is \\d+ bytes; the maximum is ${EVENT_SIZE_BYTES_MAX}$`));
  });

  it('drops data fields the schema does not declare (they never reach the wire)', () => {
    const data = { thingId, count: 1, surprise: true } as unknown as { thingId: string; count: number };
    const event = sampleV2.create({ source: 'strongbox/ledger', data });
    expect(event.data).not.toHaveProperty('surprise');
  });
});

describe('defineEvent: parse', () => {
  const created = sampleV2.create({ source: 'strongbox/ledger', subject: thingId, data: { thingId, count: 3, note: 'hi', tags: ['a'] } });

  it('accepts what create produced, after a trip through JSON', () => {
    expect(sampleV2.parse(JSON.parse(JSON.stringify(created)))).toEqual(created);
  });

  it('tolerates data fields it does not know (a newer producer of the same version) and drops them', () => {
    const parsed = sampleV2.parse({ ...created, data: { ...created.data, addedLater: 'x' } });
    expect(parsed.data).toEqual(created.data);
  });

  it('refuses data that breaks the schema, naming the path', () => {
    const error = refusal(() => sampleV2.parse({ ...created, data: { ...created.data, tags: ['ok', ''] } }));
    expect(error.code).toBe(ContractErrorCodes.invalidData);
    expect(error.issues).toEqual([expect.stringMatching(/^tags\.1: /)]);
  });

  it('lists at most 20 data problems, then says how many more', () => {
    const error = refusal(() => sampleV2.parse({ ...created, data: { ...created.data, tags: Array.from({ length: 25 }, () => '') } }));
    expect(error.issues).toHaveLength(21);
    expect(error.issues[20]).toBe('… and 5 more');
  });
});

describe('defineEvent: round trip (property)', () => {
  it('parse(JSON(create(x))) equals create(x) for arbitrary valid data', () => {
    const data = fc.record(
      {
        thingId: fc.uuid({ version: 7 }),
        count: fc.nat(),
        note: fc.string({ maxLength: 200 }),
        tags: fc.array(fc.string({ minLength: 1, maxLength: 20 }), { maxLength: 10 }),
      },
      { requiredKeys: ['thingId', 'count'] },
    );
    const time = fc.date({ min: new Date('2000-01-01T00:00:00Z'), max: new Date('2100-01-01T00:00:00Z'), noInvalidDate: true });
    fc.assert(
      fc.property(data, time, (input, at) => {
        const event = sampleV2.create({ source: 'strongbox/ledger', time: at, data: input });
        expect(sampleV2.parse(JSON.parse(JSON.stringify(event)))).toEqual(event);
      }),
      { numRuns: 300 },
    );
  });
});
