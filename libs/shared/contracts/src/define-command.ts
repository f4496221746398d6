import { z } from 'zod';
import { ContractError, ContractErrorCodes } from './errors';
import { Contexts, type Context } from './naming';

// ---------------------------------------------------------------------------------------------
// Commands: request/reply over NATS core (`<ns>.<context>.cmd.<name>.v<N>`), never stored in a
// stream. A command asks the owning service to decide something; its reply says what was decided.
// ---------------------------------------------------------------------------------------------

/** Everything that describes one versioned command, for the server, the typed client and the docs. */
export interface CommandDefinition<TRequest extends z.ZodType = z.ZodType, TResponse extends z.ZodType = z.ZodType> {
  readonly context: Context;
  /** Imperative, kebab-case: `transfer`, `request-withdrawal`. */
  readonly name: string;
  readonly version: number;
  /** `<context>.cmd.<name>.v<version>`; the subject after the namespace. */
  readonly type: string;
  readonly description: string;
  readonly request: TRequest;
  readonly response: TResponse;
  /** True for commands that move money: the request must carry an `idempotencyKey`. */
  readonly idempotent: boolean;
  /** Error codes the command may answer with, beyond the generic COMMAND_ERR_* ones (for the docs). */
  readonly errors: readonly string[];
}

/** The reply to every command: the result, or an error with a stable code. */
export type CommandReply<T> = { readonly ok: true; readonly result: T } | { readonly ok: false; readonly error: CommandErrorBody };

export interface CommandErrorBody {
  /** Stable, e.g. `LEDGER_ERR_INSUFFICIENT_FUNDS`, `COMMAND_ERR_INVALID_REQUEST`. */
  readonly code: string;
  /** For people; never holds secrets or stack traces. */
  readonly message: string;
  /** True when the same request may succeed later (unavailable, in progress); false for a decision. */
  readonly retryable: boolean;
  /** Machine-readable specifics (field problems, limits). */
  readonly details?: Readonly<Record<string, unknown>> | undefined;
}

/** Error codes any command may answer with. */
export const CommandErrorCodes = {
  /** The request does not match the command's schema; `details.issues` lists every problem. */
  invalidRequest: 'COMMAND_ERR_INVALID_REQUEST',
  /** The server failed unexpectedly; retrying may help. */
  internal: 'COMMAND_ERR_INTERNAL',
  /** No server answered in time (none running, bus down, overloaded); retrying may help. */
  unavailable: 'COMMAND_ERR_UNAVAILABLE',
  /** The reply did not match the command's response schema (a version skew defect). */
  invalidReply: 'COMMAND_ERR_INVALID_REPLY',
} as const;

export const commandErrorBodySchema = z.object({
  code: z.string().min(1).max(128),
  message: z.string().max(2_000),
  retryable: z.boolean(),
  details: z.record(z.string(), z.unknown()).optional(),
});

/** Parses the reply envelope only; the result is checked against the command's response schema by the client. */
export const commandReplySchema = z.union([
  z.object({ ok: z.literal(true), result: z.unknown() }),
  z.object({ ok: z.literal(false), error: commandErrorBodySchema }),
]);

/** Caller-supplied idempotency keys: 8 to 128 characters of letters, digits and `-_:.`. */
export const idempotencyKeySchema = z.string().regex(/^[A-Za-z0-9_:.-]{8,128}$/, 'an idempotency key: 8-128 characters of A-Z a-z 0-9 _ : . -');

const COMMAND_NAME_PATTERN = /^[a-z][a-z0-9]*(?:-[a-z0-9]+)*$/;
const COMMAND_VERSION_MAX = 999_999;

/**
 * Declares a versioned command. Malformed names fail at module load (CONTRACTS_ERR_INVALID_DEFINITION).
 * An idempotent command's request schema must have an `idempotencyKey` field.
 *
 * @example
 * export const getBalanceV1 = defineCommand({ context: 'ledger', name: 'get-balance', version: 1,
 *   description: '…', idempotent: false, request: z.object({ userId: z.uuid() }), response: … });
 */
export function defineCommand<TRequest extends z.ZodObject, TResponse extends z.ZodType>(spec: {
  context: Context;
  name: string;
  version: number;
  description: string;
  idempotent: boolean;
  request: TRequest;
  response: TResponse;
  errors?: readonly string[];
}): CommandDefinition<TRequest, TResponse> {
  const type = `${spec.context}.cmd.${spec.name}.v${spec.version}`;
  const problems: string[] = [];
  if (!Object.values<string>(Contexts).includes(spec.context)) problems.push(`context "${spec.context}" is not one of ${Object.values(Contexts).join(', ')}`);
  if (!COMMAND_NAME_PATTERN.test(spec.name)) problems.push(`name "${spec.name}" must match ${COMMAND_NAME_PATTERN.source}`);
  if (!Number.isInteger(spec.version) || spec.version < 1 || spec.version > COMMAND_VERSION_MAX) {
    problems.push(`version must be an integer from 1 to ${COMMAND_VERSION_MAX}, got ${spec.version}`);
  }
  if (spec.description.trim().length === 0) problems.push('description is empty');
  if (spec.idempotent && !('idempotencyKey' in spec.request.shape)) problems.push('an idempotent command needs an idempotencyKey field');
  if (problems.length > 0) throw new ContractError(ContractErrorCodes.invalidDefinition, `invalid command definition ${type}`, problems);
  return { ...spec, type, errors: spec.errors ?? [] };
}

/** Request/reply subject of a command: `sb.ledger.cmd.transfer.v1`. */
export function commandTypeSubject(namespace: string, command: Pick<CommandDefinition, 'type'>): string {
  return `${namespace}.${command.type}`;
}
