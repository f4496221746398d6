// Proves ids are canonical UUIDv7s ordered by creation: every new id passes isUuidV7, ids made later
// in the process compare greater even within one millisecond, the embedded time lies between the
// clock readings around its creation, and isUuidV7 refuses other versions, variants and spellings
// (table-driven cases plus fast-check properties over random UUID-shaped strings).
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { DomainError, DomainErrorCodes } from './errors';
import { isId, isUuidV7, newId, UUID_V7_PATTERN, uuidV7TimeMs } from './id';

describe('newId', () => {
  it('returns a canonical UUIDv7', () => {
    const id = newId();
    expect(id).toMatch(UUID_V7_PATTERN);
    expect(isUuidV7(id)).toBe(true);
    expect(isId(id)).toBe(true);
  });

  it('makes ids that strictly increase, as strings, even many within one millisecond', () => {
    // Far more ids than one millisecond can hold distinct timestamps for, so the counter is exercised.
    const count = 20_000;
    const ids = Array.from({ length: count }, () => newId());
    for (let index = 1; index < count; index++) {
      expect(ids[index]! > ids[index - 1]!).toBe(true);
    }
    expect(new Set(ids).size).toBe(count);
    const timesMs = ids.map(uuidV7TimeMs);
    expect(timesMs.some((timeMs, index) => index > 0 && timeMs === timesMs[index - 1])).toBe(true);
  });

  it('embeds the time of creation', () => {
    const beforeMs = Date.now();
    const id = newId();
    const afterMs = Date.now();
    const timeMs = uuidV7TimeMs(id);
    expect(timeMs).toBeGreaterThanOrEqual(beforeMs);
    expect(timeMs).toBeLessThanOrEqual(afterMs);
  });

  it('keeps order and embedded time in agreement over arbitrary batches (property)', () => {
    fc.assert(
      fc.property(fc.integer({ min: 2, max: 500 }), (count) => {
        const beforeMs = Date.now();
        const ids = Array.from({ length: count }, () => newId());
        const afterMs = Date.now();
        expect([...ids].sort()).toEqual(ids);
        const timesMs = ids.map(uuidV7TimeMs);
        for (let index = 1; index < count; index++) expect(timesMs[index]!).toBeGreaterThanOrEqual(timesMs[index - 1]!);
        expect(timesMs[0]!).toBeGreaterThanOrEqual(beforeMs);
        expect(timesMs[count - 1]!).toBeLessThanOrEqual(afterMs);
      }),
      { numRuns: 50 },
    );
  });
});

describe('isUuidV7', () => {
  it.each([
    ['019a7c3e-5b1f-7d2a-8c3e-4f5a6b7c8d9e', 'variant 8'],
    ['019a7c3e-5b1f-7d2a-9c3e-4f5a6b7c8d9e', 'variant 9'],
    ['019a7c3e-5b1f-7d2a-ac3e-4f5a6b7c8d9e', 'variant a'],
    ['019a7c3e-5b1f-7d2a-bc3e-4f5a6b7c8d9e', 'variant b'],
    ['00000000-0000-7000-8000-000000000000', 'the epoch'],
  ])('accepts %s (%s)', (value) => {
    expect(isUuidV7(value)).toBe(true);
  });

  it.each([
    ['019A7C3E-5B1F-7D2A-8C3E-4F5A6B7C8D9E', 'upper case: two spellings would defeat text de-duplication'],
    ['9b2e7c1a-4d3f-4a8b-9c7d-1e2f3a4b5c6d', 'a UUIDv4'],
    ['1ec9414c-232a-6b00-b3c8-9e6bdeced846', 'a UUIDv6'],
    ['019a7c3e-5b1f-8d2a-8c3e-4f5a6b7c8d9e', 'a UUIDv8'],
    ['019a7c3e-5b1f-7d2a-cc3e-4f5a6b7c8d9e', 'the Microsoft variant'],
    ['019a7c3e-5b1f-7d2a-7c3e-4f5a6b7c8d9e', 'the NCS variant'],
    ['00000000-0000-0000-0000-000000000000', 'the nil UUID'],
    ['ffffffff-ffff-ffff-ffff-ffffffffffff', 'the max UUID'],
    ['019a7c3e5b1f7d2a8c3e4f5a6b7c8d9e', 'no hyphens'],
    ['{019a7c3e-5b1f-7d2a-8c3e-4f5a6b7c8d9e}', 'braces'],
    ['urn:uuid:019a7c3e-5b1f-7d2a-8c3e-4f5a6b7c8d9e', 'a URN'],
    [' 019a7c3e-5b1f-7d2a-8c3e-4f5a6b7c8d9e', 'leading space'],
    ['019a7c3e-5b1f-7d2a-8c3e-4f5a6b7c8d9e\n', 'trailing newline'],
    ['019a7c3e-5b1f-7d2a-8c3e-4f5a6b7c8d9', 'one digit short'],
    ['019a7c3e-5b1f-7d2a-8c3e-4f5a6b7c8d9g', 'a non-hex digit'],
    ['', 'empty'],
  ])('refuses %j (%s)', (value) => {
    expect(isUuidV7(value)).toBe(false);
  });

  it('refuses values that are not strings', () => {
    for (const value of [undefined, null, 7, 7n, {}, ['019a7c3e-5b1f-7d2a-8c3e-4f5a6b7c8d9e']]) {
      expect(isUuidV7(value)).toBe(false);
    }
  });

  // Random 128-bit values laid out as UUIDs: about 1 in 32 has version 7 and an RFC variant.
  const uuidShaped = fc
    .tuple(fc.bigInt({ min: 0n, max: 2n ** 128n - 1n }), fc.boolean())
    .map(([bits, upper]) => {
      const hex = bits.toString(16).padStart(32, '0');
      const text = `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20)}`;
      return upper ? text.toUpperCase() : text;
    });

  it('accepts exactly the canonical strings with version 7 and the RFC variant (property)', () => {
    fc.assert(
      fc.property(uuidShaped, (text) => {
        const version = text[14];
        const variant = text[19];
        const expected = text === text.toLowerCase() && version === '7' && variant !== undefined && '89ab'.includes(variant);
        expect(isUuidV7(text)).toBe(expected);
      }),
      { numRuns: 2000 },
    );
  });

  it('never accepts arbitrary text that is not 36 characters of the canonical shape (property)', () => {
    fc.assert(
      fc.property(fc.string({ maxLength: 60 }), (text) => {
        if (isUuidV7(text)) expect(text).toMatch(UUID_V7_PATTERN);
        if (text.length !== 36) expect(isUuidV7(text)).toBe(false);
      }),
      { numRuns: 2000 },
    );
  });
});

describe('uuidV7TimeMs', () => {
  it('reads the 48-bit millisecond timestamp', () => {
    expect(uuidV7TimeMs('00000000-0000-7000-8000-000000000000')).toBe(0);
    expect(uuidV7TimeMs('019a7c3e-5b1f-7d2a-8c3e-4f5a6b7c8d9e')).toBe(0x019a7c3e5b1f);
    expect(uuidV7TimeMs('ffffffff-ffff-7fff-bfff-ffffffffffff')).toBe(2 ** 48 - 1);
  });

  it('orders ids the same way their text sorts, when their times differ (property)', () => {
    const timeMs = fc.integer({ min: 0, max: 2 ** 48 - 1 });
    const toId = (ms: number, tail: string) => {
      const hex = ms.toString(16).padStart(12, '0');
      return `${hex.slice(0, 8)}-${hex.slice(8)}-7${tail.slice(0, 3)}-8${tail.slice(3, 6)}-${tail.slice(6, 18)}`;
    };
    const tail = fc.string({ unit: fc.constantFrom(...'0123456789abcdef'), minLength: 18, maxLength: 18 });
    fc.assert(
      fc.property(timeMs, timeMs, tail, tail, (msA, msB, tailA, tailB) => {
        const a = toId(msA, tailA);
        const b = toId(msB, tailB);
        expect(uuidV7TimeMs(a)).toBe(msA);
        if (msA < msB) expect(a < b).toBe(true);
        if (msA > msB) expect(a > b).toBe(true);
      }),
    );
  });

  it('throws a coded error for anything but a UUIDv7', () => {
    let caught: unknown;
    try {
      uuidV7TimeMs('9b2e7c1a-4d3f-4a8b-9c7d-1e2f3a4b5c6d');
    } catch (error) {
      caught = error;
    }
    expect(caught).toBeInstanceOf(DomainError);
    expect((caught as DomainError).code).toBe(DomainErrorCodes.invalidId);
    expect((caught as DomainError).message).toContain('is not a UUIDv7');
  });
});
