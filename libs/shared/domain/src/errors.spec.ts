// Proves the domain error codes are stable-looking and never shared between two meanings, and that
// every error class sets its `name`, keeps its `cause` and carries the fields callers branch on.
import { describe, expect, it } from 'vitest';
import { DomainError, DomainErrorCodes, MoneyParseError, StateMachineDefinitionError, StateTransitionError } from './errors';

describe('domain errors', () => {
  it('uses one distinct DOMAIN_ERR_* code per meaning', () => {
    const codes = Object.values(DomainErrorCodes);
    expect(new Set(codes).size).toBe(codes.length);
    for (const code of codes) expect(code).toMatch(/^DOMAIN_ERR_[A-Z0-9_]+$/);
  });

  it('sets name, code and cause', () => {
    const cause = new Error('underlying');
    const error = new DomainError(DomainErrorCodes.invalidAsset, 'bad asset', { cause });
    expect(error).toBeInstanceOf(Error);
    expect(error.name).toBe('DomainError');
    expect(error.code).toBe('DOMAIN_ERR_INVALID_ASSET');
    expect(error.cause).toBe(cause);

    const parse = new MoneyParseError(DomainErrorCodes.amountZero, 'zero');
    expect(parse).toBeInstanceOf(DomainError);
    expect(parse.name).toBe('MoneyParseError');
  });

  it('names the machine and both states of a refused transition', () => {
    const error = new StateTransitionError('withdrawal', 'held', 'confirmed', 'withdrawal: cannot go from "held" to "confirmed"');
    expect(error).toMatchObject({ name: 'StateTransitionError', code: 'DOMAIN_ERR_INVALID_TRANSITION', machine: 'withdrawal', from: 'held', to: 'confirmed' });
  });

  it('lists every problem of a broken state machine in its message', () => {
    const error = new StateMachineDefinitionError('plan', ['a', 'b']);
    expect(error).toMatchObject({ name: 'StateMachineDefinitionError', code: 'DOMAIN_ERR_INVALID_STATE_MACHINE', problems: ['a', 'b'] });
    expect(error.message).toBe('state machine "plan" is invalid: a; b');
  });
});
