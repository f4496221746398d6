// Proves state machines refuse every transition they do not declare and refuse malformed specs at
// definition: example-based tests on a withdrawal lifecycle, a table of broken specs, and property
// tests (fast-check) on random machines where random walks follow only declared edges and every
// undeclared pair of states is refused.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { DomainErrorCodes, StateMachineDefinitionError, StateTransitionError } from './errors';
import { defineStateMachine, STATE_MACHINE_STATES_MAX, type StateMachineSpec } from './state-machine';

const withdrawal = defineStateMachine({
  name: 'withdrawal',
  initial: 'requested',
  transitions: {
    requested: ['held', 'rejected'],
    held: ['broadcast', 'voided'],
    broadcast: ['confirmed', 'voided'],
    confirmed: [],
    voided: [],
    rejected: [],
  },
  terminal: ['confirmed', 'voided', 'rejected'],
});

describe('a declared state machine', () => {
  it('exposes its states in declaration order', () => {
    expect(withdrawal.name).toBe('withdrawal');
    expect(withdrawal.initial).toBe('requested');
    expect(withdrawal.states).toEqual(['requested', 'held', 'broadcast', 'confirmed', 'voided', 'rejected']);
  });

  it('allows declared transitions', () => {
    expect(withdrawal.canTransition('requested', 'held')).toBe(true);
    expect(withdrawal.transition('held', 'broadcast')).toEqual({ ok: true, state: 'broadcast' });
    expect(withdrawal.assertTransition('broadcast', 'confirmed')).toBe('confirmed');
  });

  it('refuses undeclared transitions as a value, naming what is allowed', () => {
    const result = withdrawal.transition('requested', 'confirmed');
    expect(result.ok).toBe(false);
    if (result.ok) return;
    expect(result.error).toBeInstanceOf(StateTransitionError);
    expect(result.error.code).toBe(DomainErrorCodes.invalidTransition);
    expect(result.error).toMatchObject({ machine: 'withdrawal', from: 'requested', to: 'confirmed' });
    expect(result.error.message).toBe('withdrawal: cannot go from "requested" to "confirmed" (allowed from "requested": held, rejected)');
  });

  it('refuses leaving a terminal state and staying in place unless declared', () => {
    expect(withdrawal.transition('confirmed', 'held')).toMatchObject({ ok: false, error: { message: expect.stringContaining('"confirmed" is terminal') } });
    expect(withdrawal.canTransition('held', 'held')).toBe(false);
  });

  it('throws StateTransitionError from assertTransition', () => {
    expect(() => withdrawal.assertTransition('voided', 'confirmed')).toThrow(StateTransitionError);
    expect(() => withdrawal.assertTransition('voided', 'confirmed')).toThrow(
      expect.objectContaining({ name: 'StateTransitionError', code: 'DOMAIN_ERR_INVALID_TRANSITION' }),
    );
  });

  it('refuses states it does not know (strings read from storage)', () => {
    const unknown = 'lost' as 'held';
    expect(withdrawal.isState('lost')).toBe(false);
    expect(withdrawal.isState('held')).toBe(true);
    expect(withdrawal.canTransition(unknown, 'voided')).toBe(false);
    expect(withdrawal.transition('held', unknown)).toMatchObject({ ok: false, error: { message: expect.stringContaining('"lost" is not a state') } });
    expect(withdrawal.reachableFrom(unknown)).toEqual([]);
  });

  it('answers terminal, next and reachable states', () => {
    expect(withdrawal.isTerminal('voided')).toBe(true);
    expect(withdrawal.isTerminal('held')).toBe(false);
    expect(withdrawal.nextStates('held')).toEqual(['broadcast', 'voided']);
    expect(withdrawal.reachableFrom('requested')).toEqual(['held', 'broadcast', 'confirmed', 'voided', 'rejected']);
    expect(withdrawal.reachableFrom('broadcast')).toEqual(['confirmed', 'voided']);
    expect(withdrawal.reachableFrom('rejected')).toEqual([]);
  });

  it('derives terminal states when none are declared, and includes a state in its own reach on a cycle', () => {
    const retrying = defineStateMachine({ name: 'delivery', initial: 'queued', transitions: { queued: ['sending'], sending: ['queued', 'sent'], sent: [] } });
    expect(retrying.isTerminal('sent')).toBe(true);
    expect(retrying.reachableFrom('queued')).toEqual(['queued', 'sending', 'sent']);
  });

  it('cannot be changed after definition', () => {
    expect(Object.isFrozen(withdrawal)).toBe(true);
    expect(Object.isFrozen(withdrawal.states)).toBe(true);
    expect(Object.isFrozen(withdrawal.nextStates('held'))).toBe(true);
  });
});

describe('defineStateMachine refuses broken specs', () => {
  const cases: ReadonlyArray<readonly [string, StateMachineSpec<string>, string]> = [
    ['an undeclared target', { name: 'm', initial: 'a', transitions: { a: ['b', 'c'], b: [] } }, '"a" → "c" targets an undeclared state'],
    ['an undeclared initial state', { name: 'm', initial: 'z', transitions: { a: [] } }, 'initial state "z" is not declared'],
    ['a terminal state with outgoing transitions', { name: 'm', initial: 'a', transitions: { a: ['b'], b: ['a'] }, terminal: ['b'] }, 'terminal state "b" has outgoing transitions'],
    ['an undeclared terminal state', { name: 'm', initial: 'a', transitions: { a: ['b'], b: [] }, terminal: ['b', 'x'] }, 'terminal state "x" is not declared'],
    ['a dead end not declared terminal', { name: 'm', initial: 'a', transitions: { a: ['b', 'c'], b: [], c: [] }, terminal: ['b'] }, 'state "c" has no outgoing transitions but is not declared terminal'],
    ['an unreachable state', { name: 'm', initial: 'a', transitions: { a: ['b'], b: [], orphan: ['b'] } }, 'state "orphan" cannot be reached from "a"'],
    ['a duplicate transition', { name: 'm', initial: 'a', transitions: { a: ['b', 'b'], b: [] } }, '"a" → "b" is declared twice'],
    ['no states', { name: 'm', initial: 'a', transitions: {} }, 'no states are declared'],
    ['an empty name', { name: '', initial: 'a', transitions: { a: [] } }, 'name is empty'],
    ['a badly named state', { name: 'm', initial: 'a', transitions: { a: ['Has Space'], 'Has Space': [] } }, 'state "Has Space" must match'],
    ['a transition list that is not a list', { name: 'm', initial: 'a', transitions: { a: 'b' as unknown as string[], b: [] } }, 'transitions of "a" must be a list'],
  ];

  it.each(cases)('with %s', (_label, spec, problem) => {
    let caught: unknown;
    try {
      defineStateMachine(spec);
    } catch (error) {
      caught = error;
    }
    expect(caught).toBeInstanceOf(StateMachineDefinitionError);
    const error = caught as StateMachineDefinitionError;
    expect(error.code).toBe(DomainErrorCodes.invalidStateMachine);
    expect(error.problems).toEqual(expect.arrayContaining([expect.stringContaining(problem)]));
    expect(error.message).toContain(problem);
  });

  it('with more states than the maximum', () => {
    const names = Array.from({ length: STATE_MACHINE_STATES_MAX + 1 }, (_, index) => `s${index}`);
    const transitions = Object.fromEntries(names.map((name, index) => [name, index + 1 < names.length ? [names[index + 1]!] : []]));
    expect(() => defineStateMachine({ name: 'big', initial: 's0', transitions })).toThrow(/exceed the maximum of 64/);
  });

  it('lists every problem at once', () => {
    // Typed loosely on purpose: the spec names a state it does not declare, which the types would refuse.
    const spec: StateMachineSpec<string> = { name: 'm', initial: 'a', transitions: { a: ['b', 'x'], b: ['a'] }, terminal: ['b'] };
    expect(() => defineStateMachine(spec)).toThrow(
      /"a" → "x" targets an undeclared state.*terminal state "b" has outgoing transitions/,
    );
  });
});

// ---------------------------------------------------------------------------------------------
// Properties on random machines
// ---------------------------------------------------------------------------------------------

/**
 * A random machine whose states are all reachable: every state but the first gets a parent among
 * the states before it (a random spanning tree from `s0`), plus random extra edges, cycles and
 * self-loops included.
 */
const machineArbitrary = fc.integer({ min: 1, max: 12 }).chain((count) =>
  fc
    .tuple(
      fc.array(fc.nat(), { minLength: count, maxLength: count }),
      fc.array(fc.tuple(fc.nat({ max: count - 1 }), fc.nat({ max: count - 1 })), { maxLength: count * 3 }),
    )
    .map(([parents, extras]) => {
      const names = Array.from({ length: count }, (_, index) => `s${index}`);
      const edges = new Map<string, Set<string>>(names.map((name) => [name, new Set<string>()]));
      for (let index = 1; index < count; index++) edges.get(names[parents[index]! % index]!)!.add(names[index]!);
      for (const [from, to] of extras) edges.get(names[from]!)!.add(names[to]!);
      const transitions = Object.fromEntries(names.map((name) => [name, [...edges.get(name)!]]));
      return { names, edges, spec: { name: 'random', initial: 's0', transitions } };
    }),
);

describe('state machine properties', () => {
  it('canTransition and transition agree with the declared edges for every pair of states', () => {
    fc.assert(
      fc.property(machineArbitrary, ({ names, edges, spec }) => {
        const machine = defineStateMachine(spec);
        for (const from of names) {
          for (const to of names) {
            const declared = edges.get(from)!.has(to);
            expect(machine.canTransition(from, to)).toBe(declared);
            expect(machine.transition(from, to).ok).toBe(declared);
            if (!declared) expect(() => machine.assertTransition(from, to)).toThrow(StateTransitionError);
          }
        }
      }),
    );
  });

  it('random walks from the initial state follow only declared edges and stop only in terminal states', () => {
    fc.assert(
      fc.property(machineArbitrary, fc.array(fc.nat(), { maxLength: 50 }), ({ edges, spec }, choices) => {
        const machine = defineStateMachine(spec);
        let state = machine.initial;
        for (const choice of choices) {
          const next = machine.nextStates(state);
          if (next.length === 0) {
            expect(machine.isTerminal(state)).toBe(true);
            break;
          }
          const target = next[choice % next.length]!;
          expect(edges.get(state)!.has(target)).toBe(true);
          state = machine.assertTransition(state, target);
        }
      }),
    );
  });

  it('every state is reachable from the initial state, and reachableFrom is closed under transitions', () => {
    fc.assert(
      fc.property(machineArbitrary, ({ names, spec }) => {
        const machine = defineStateMachine(spec);
        const fromInitial = new Set([machine.initial, ...machine.reachableFrom(machine.initial)]);
        expect([...fromInitial].sort()).toEqual([...names].sort());
        for (const state of names) {
          const reach = new Set(machine.reachableFrom(state));
          for (const next of machine.nextStates(state)) {
            expect(reach.has(next)).toBe(true);
            for (const further of machine.reachableFrom(next)) expect(reach.has(further)).toBe(true);
          }
        }
      }),
    );
  });
});
