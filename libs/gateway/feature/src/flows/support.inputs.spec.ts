import { describe, expect, it } from 'vitest';
import { newId } from '@strongbox/shared-domain';
import { packUuid, parseSupportContact, parseSupportDescription, supportCategoryOf, supportNumber, unpackUuid } from './support.inputs';

describe('parseSupportDescription', () => {
  it('accepts 10 to 2,000 characters, counted as people count them, trimmed', () => {
    expect(parseSupportDescription('  My deposit is missing  ')).toEqual({ ok: true, value: 'My deposit is missing' });
    expect(parseSupportDescription('😀'.repeat(2_000)).ok).toBe(true);
    expect(parseSupportDescription('Депозит не пришёл\nвторой день').ok).toBe(true);
  });

  it.each([
    ['empty', ''],
    ['too short', 'help me'],
    ['only spaces', ' '.repeat(50)],
    ['4,000 characters', 'a'.repeat(4_000)],
    ['2,001 characters', 'a'.repeat(2_001)],
    ['a control character', 'broken\u0000text here'],
  ])('refuses %s with its limits', (_what, text) => {
    expect(parseSupportDescription(text)).toEqual({ ok: false, key: 'support-description-invalid', variables: { min: 10, max: 2_000 } });
  });
});

describe('parseSupportContact', () => {
  it('reads "-" as no contact and keeps anything else within 200 characters', () => {
    expect(parseSupportContact(' - ')).toEqual({ ok: true, value: null });
    expect(parseSupportContact('me@example.com')).toEqual({ ok: true, value: 'me@example.com' });
  });

  it.each([[''], ['x'.repeat(201)], ['tab\u0007bell']])('refuses %j', (text) => {
    expect(parseSupportContact(text)).toMatchObject({ ok: false, key: 'support-contact-invalid' });
  });
});

describe('request ids in button payloads', () => {
  it('packs a uuid into 22 characters and back', () => {
    const id = newId();
    const packed = packUuid(id);
    expect(packed).toMatch(/^[A-Za-z0-9_-]{22}$/);
    expect(unpackUuid(packed)).toBe(id);
    expect(supportNumber(id)).toBe(id.slice(0, 8));
  });

  it.each([[''], ['short'], ['A'.repeat(23)], ['!'.repeat(22)], ['AAAAAAAAAAAAAAAAAAAAAB']])('refuses the payload %j', (packed) => {
    expect(unpackUuid(packed)).toBeUndefined();
  });

  it('refuses to pack what is not a uuid', () => {
    expect(() => packUuid('not-a-uuid')).toThrow(RangeError);
  });

  it('knows the categories and nothing else', () => {
    expect(supportCategoryOf('deposit')).toBe('deposit');
    expect(supportCategoryOf('refund')).toBeUndefined();
  });
});
