import { describe, expect, it } from 'vitest';
import { hashRecoveryCode, newRecoveryCode, normalizeRecoveryCode } from './recovery.code';

describe('recovery codes', () => {
  it('are 16 Crockford base32 characters in four groups, and differ each time', () => {
    const codes = new Set(Array.from({ length: 200 }, () => newRecoveryCode()));
    expect(codes.size).toBe(200);
    for (const code of codes) expect(code).toMatch(/^[0-9ABCDEFGHJKMNPQRSTVWXYZ]{4}(-[0-9ABCDEFGHJKMNPQRSTVWXYZ]{4}){3}$/);
  });

  it('read what a person types: case, spaces, hyphens and the look-alike letters', () => {
    expect(normalizeRecoveryCode('abcd efgh-jkmn pq10')).toBe('ABCDEFGHJKMNPQ10');
    expect(normalizeRecoveryCode('ABCD-EFGH-JKMN-PQIO')).toBe('ABCDEFGHJKMNPQ10');
    expect(normalizeRecoveryCode('abcd-efgh-jkmn-pqlo')).toBe('ABCDEFGHJKMNPQ10');
  });

  it.each(['', 'ABCD', 'ABCD-EFGH-JKMN-PQRSX', 'ABCD-EFGH-JKMN-PQRU', '١٢٣٤-EFGH-JKMN-PQRS', 'x'.repeat(65)])('refuse %j', (input) => {
    expect(normalizeRecoveryCode(input)).toBeNull();
  });

  it('hash to 64 hex digits, the same for every way of typing one code', () => {
    const code = newRecoveryCode();
    const hash = hashRecoveryCode(normalizeRecoveryCode(code) ?? '');
    expect(hash).toMatch(/^[0-9a-f]{64}$/);
    expect(hashRecoveryCode(normalizeRecoveryCode(code.toLowerCase().replace(/-/g, ' ')) ?? '')).toBe(hash);
  });
});
