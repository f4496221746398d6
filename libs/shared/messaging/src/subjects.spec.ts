// Proves the subject and name checks the specs rely on, table-driven.
import { describe, expect, it } from 'vitest';
import { SUBJECT_LENGTH_MAX, isValidName, isValidSubject } from './subjects';

describe('isValidSubject', () => {
  it.each([
    ['sb.ledger.evt.account.opened.v1', false, true],
    ['sb.ledger.>', true, true],
    ['sb.*.evt.>', true, true],
    ['sb.ledger.>', false, false],
    ['sb.*.evt', false, false],
    ['', true, false],
    ['sb..evt', true, false],
    ['.sb', true, false],
    ['sb.', true, false],
    ['sb.>.evt', true, false],
    ['sb.led ger', true, false],
    ['sb.led*ger', true, false],
    ['sb.tab\tbed', false, false],
    ['a'.repeat(SUBJECT_LENGTH_MAX + 1), false, false],
  ])('%j (wildcards %s) → %s', (subject, wildcards, expected) => {
    expect(isValidSubject(subject, { wildcards })).toBe(expected);
  });
});

describe('isValidName', () => {
  it.each([
    ['SB_LEDGER', true],
    ['ledger-open-account-on-user-registered', true],
    ['', false],
    ['a.b', false],
    ['a b', false],
    ['a>', false],
    ['x'.repeat(65), false],
  ])('%j → %s', (name, expected) => {
    expect(isValidName(name)).toBe(expected);
  });
});
