// Proves requestHash is a hash of canonical JSON: key order and whitespace do not matter, a bigint
// hashes as its decimal string, a Date as its ISO string, and every value JSON cannot hold without
// losing information is refused with DB_ERR_INVALID_ARGUMENT — table-driven, against known digests.
import { createHash } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { DbError, DbErrorCodes } from './errors';
import { requestHash } from './idempotency';

function sha256(text: string): string {
  return createHash('sha256').update(text, 'utf8').digest('hex');
}

describe('requestHash', () => {
  it.each([
    { what: 'sorted keys, no whitespace', request: { b: 1, a: 'x' }, json: '{"a":"x","b":1}' },
    { what: 'nested objects sorted too', request: { z: { y: 1, x: [2, { d: null, c: true }] } }, json: '{"z":{"x":[2,{"c":true,"d":null}],"y":1}}' },
    { what: 'a bigint as its decimal string', request: { amount: 1500000n }, json: '{"amount":"1500000"}' },
    { what: 'a Date as its ISO string', request: { at: new Date('2030-01-02T03:04:05.000Z') }, json: '{"at":"2030-01-02T03:04:05.000Z"}' },
    { what: 'undefined properties left out', request: { a: 1, b: undefined }, json: '{"a":1}' },
    { what: 'undefined array items as null', request: [1, undefined], json: '[1,null]' },
    { what: 'a string', request: 'plain', json: '"plain"' },
    { what: 'null', request: null, json: 'null' },
    { what: 'an object without prototype', request: Object.assign(Object.create(null) as object, { k: 'v' }), json: '{"k":"v"}' },
    { what: 'unicode keys and values', request: { 'ключ': 'значение €' }, json: '{"ключ":"значение €"}' },
  ])('hashes $what', ({ request, json }) => {
    expect(requestHash(request)).toBe(sha256(json));
  });

  it('gives the same hash whatever the key order, and another for another value', () => {
    expect(requestHash({ from: 'a', to: 'b', amount: '10' })).toBe(requestHash({ amount: '10', to: 'b', from: 'a' }));
    expect(requestHash({ from: 'a', to: 'b', amount: '10' })).not.toBe(requestHash({ from: 'a', to: 'b', amount: '11' }));
    expect(requestHash({ a: [1, 2] })).not.toBe(requestHash({ a: [2, 1] }));
  });

  const cyclic: Record<string, unknown> = { a: 1 };
  cyclic['self'] = cyclic;
  let deep: unknown = 'leaf';
  for (let level = 0; level < 70; level += 1) deep = { next: deep };

  it.each([
    { what: 'undefined', request: undefined, message: /undefined/ },
    { what: 'a cycle', request: cyclic, message: /request\.self refers to itself/ },
    { what: 'NaN', request: { n: Number.NaN }, message: /request\.n is NaN/ },
    { what: 'Infinity', request: { n: [Number.POSITIVE_INFINITY] }, message: /request\.n\[0\] is Infinity/ },
    { what: 'a Map', request: { m: new Map([['a', 1]]) }, message: /request\.m is a Map/ },
    { what: 'a function', request: { f: () => 1 }, message: /request\.f is a function/ },
    { what: 'a symbol', request: { s: Symbol('s') }, message: /request\.s is a symbol/ },
    { what: 'nesting beyond the limit', request: deep, message: /nested deeper than 64 levels/ },
  ])('refuses $what with DB_ERR_INVALID_ARGUMENT', ({ request, message }) => {
    let thrown: unknown;
    try {
      requestHash(request);
    } catch (error) {
      thrown = error;
    }
    expect(thrown).toBeInstanceOf(DbError);
    expect(thrown).toMatchObject({ code: DbErrorCodes.invalidArgument, transient: false });
    expect((thrown as Error).message).toMatch(message);
  });
});
