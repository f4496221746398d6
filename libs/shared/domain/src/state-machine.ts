import { StateMachineDefinitionError, StateTransitionError } from './errors';

// ---------------------------------------------------------------------------------------------
// Declared state machines: a lifecycle (withdrawal, plan, support request) lists its states and
// the transitions allowed between them; any other change of state is refused. The spec is checked
// once, when it is defined, so a malformed lifecycle fails at start-up rather than mid-flight.
// ---------------------------------------------------------------------------------------------

/** Most states one machine may declare; lifecycles are small, and the checks are quadratic. */
export const STATE_MACHINE_STATES_MAX = 64;

/** State names: lower-case letter first, then lower-case letters, digits, `_` or `-`. */
const STATE_NAME_PATTERN = /^[a-z][a-z0-9_-]{0,63}$/;

export interface StateMachineSpec<S extends string> {
  /** Used in error messages: `withdrawal`. */
  readonly name: string;
  readonly initial: S;
  /** Every state, with the states it may move to; a state with `[]` is a dead end. */
  readonly transitions: Readonly<Record<S, readonly S[]>>;
  /**
   * States where the lifecycle ends. When given, it must list exactly the states without outgoing
   * transitions, so an accidental dead end is caught; when left out, it is derived from them.
   */
  readonly terminal?: readonly S[];
}

export type TransitionResult<S extends string> = { ok: true; state: S } | { ok: false; error: StateTransitionError };

export interface StateMachine<S extends string> {
  readonly name: string;
  readonly initial: S;
  /** Every state, in declaration order. */
  readonly states: readonly S[];
  /** True when `value` is one of the declared states; narrows strings read from storage. */
  isState(value: string): value is S;
  /** True when `from → to` is declared. Unknown states are never allowed. */
  canTransition(from: S, to: S): boolean;
  /** The new state when `from → to` is declared, else a StateTransitionError as a value. */
  transition(from: S, to: S): TransitionResult<S>;
  /** The new state when `from → to` is declared; throws StateTransitionError otherwise. */
  assertTransition(from: S, to: S): S;
  isTerminal(state: S): boolean;
  /** The states `state` may move to in one step, in declaration order. */
  nextStates(state: S): readonly S[];
  /** Every state reachable from `state` in one or more steps, in declaration order. */
  reachableFrom(state: S): S[];
}

/** Finds every defect of a spec at once, so the first start-up names all of them. */
function specProblems(spec: StateMachineSpec<string>, states: readonly string[]): string[] {
  const problems: string[] = [];
  const declared = new Set(states);
  if (typeof spec.name !== 'string' || spec.name.length === 0) problems.push('name is empty');
  if (states.length === 0) problems.push('no states are declared');
  if (states.length > STATE_MACHINE_STATES_MAX) {
    problems.push(`${states.length} states exceed the maximum of ${STATE_MACHINE_STATES_MAX}`);
  }
  for (const state of states) {
    if (!STATE_NAME_PATTERN.test(state)) problems.push(`state "${state}" must match ${STATE_NAME_PATTERN.source}`);
  }
  if (!declared.has(spec.initial)) problems.push(`initial state "${spec.initial}" is not declared`);
  for (const from of states) {
    const targets = spec.transitions[from];
    if (!Array.isArray(targets)) {
      problems.push(`transitions of "${from}" must be a list of states`);
      continue;
    }
    const seen = new Set<string>();
    for (const to of targets as readonly string[]) {
      if (!declared.has(to)) problems.push(`"${from}" → "${to}" targets an undeclared state`);
      if (seen.has(to)) problems.push(`"${from}" → "${to}" is declared twice`);
      seen.add(to);
    }
  }
  if (spec.terminal !== undefined) {
    const terminal = new Set(spec.terminal);
    for (const state of spec.terminal) {
      if (!declared.has(state)) problems.push(`terminal state "${state}" is not declared`);
      else if ((spec.transitions[state] ?? []).length > 0) problems.push(`terminal state "${state}" has outgoing transitions`);
    }
    for (const state of states) {
      if ((spec.transitions[state] ?? []).length === 0 && !terminal.has(state)) {
        problems.push(`state "${state}" has no outgoing transitions but is not declared terminal`);
      }
    }
  }
  if (problems.length === 0) {
    const reachable = reachableSet(spec.transitions, spec.initial);
    reachable.add(spec.initial);
    for (const state of states) {
      if (!reachable.has(state)) problems.push(`state "${state}" cannot be reached from "${spec.initial}"`);
    }
  }
  return problems;
}

/** States reachable from `start` in one or more steps (breadth-first, bounded by the state count). */
function reachableSet(transitions: Readonly<Record<string, readonly string[]>>, start: string): Set<string> {
  const reached = new Set<string>();
  const queue: string[] = [...(transitions[start] ?? [])];
  while (queue.length > 0) {
    const state = queue.shift() as string;
    if (reached.has(state)) continue;
    reached.add(state);
    queue.push(...(transitions[state] ?? []));
  }
  return reached;
}

/**
 * Declares a state machine and checks its spec: every target is a declared state, terminal states
 * have no outgoing transitions, every state is reachable from the initial one. A bad spec throws
 * StateMachineDefinitionError listing every problem; define machines at module load so that
 * happens at start-up.
 *
 * @example
 * const withdrawal = defineStateMachine({
 *   name: 'withdrawal',
 *   initial: 'requested',
 *   transitions: { requested: ['held', 'rejected'], held: ['broadcast', 'voided'], broadcast: ['confirmed', 'voided'],
 *                  confirmed: [], voided: [], rejected: [] },
 *   terminal: ['confirmed', 'voided', 'rejected'],
 * });
 * withdrawal.transition('requested', 'confirmed'); // { ok: false, error: StateTransitionError }
 */
export function defineStateMachine<const S extends string>(spec: StateMachineSpec<S>): StateMachine<S> {
  const states = Object.keys(spec.transitions) as S[];
  const problems = specProblems(spec, states);
  if (problems.length > 0) throw new StateMachineDefinitionError(String(spec.name), problems);

  const declared: ReadonlySet<string> = new Set(states);
  const edges = new Map<S, ReadonlySet<S>>(states.map((state) => [state, new Set(spec.transitions[state])]));
  const next = new Map<S, readonly S[]>(states.map((state) => [state, Object.freeze([...spec.transitions[state]])]));
  const reachable = new Map<S, readonly S[]>(
    states.map((state) => {
      const set = reachableSet(spec.transitions, state);
      return [state, states.filter((candidate) => set.has(candidate))];
    }),
  );
  const terminal: ReadonlySet<S> = new Set(states.filter((state) => spec.transitions[state].length === 0));

  function isState(value: string): value is S {
    return declared.has(value);
  }

  function canTransition(from: S, to: S): boolean {
    return edges.get(from)?.has(to) ?? false;
  }

  function transition(from: S, to: S): TransitionResult<S> {
    if (canTransition(from, to)) return { ok: true, state: to };
    const reason = !isState(from)
      ? `"${from}" is not a state of ${spec.name}`
      : !isState(to)
        ? `"${to}" is not a state of ${spec.name}`
        : terminal.has(from)
          ? `"${from}" is terminal`
          : `allowed from "${from}": ${[...(next.get(from) ?? [])].join(', ')}`;
    return {
      ok: false,
      error: new StateTransitionError(spec.name, from, to, `${spec.name}: cannot go from "${from}" to "${to}" (${reason})`),
    };
  }

  return Object.freeze({
    name: spec.name,
    initial: spec.initial,
    states: Object.freeze([...states]),
    isState,
    canTransition,
    transition,
    assertTransition(from: S, to: S): S {
      const result = transition(from, to);
      if (!result.ok) throw result.error;
      return result.state;
    },
    isTerminal(state: S): boolean {
      return terminal.has(state);
    },
    nextStates(state: S): readonly S[] {
      return next.get(state) ?? [];
    },
    reachableFrom(state: S): S[] {
      return [...(reachable.get(state) ?? [])];
    },
  });
}
