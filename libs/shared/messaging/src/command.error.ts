import type { CommandErrorBody } from '@strongbox/shared-contracts';
import { CommandErrorCodes } from '@strongbox/shared-contracts';
import { maskSensitiveText } from '@strongbox/shared-observability';

// ---------------------------------------------------------------------------------------------
// Command errors: what a command reply says went wrong, as an exception on both ends.
// ---------------------------------------------------------------------------------------------

/** Longest error message a reply carries (the contracts' limit). */
export const COMMAND_ERROR_MESSAGE_LENGTH_MAX = 2_000;
/** Largest `details` a reply carries, as JSON; bigger details are left out (and logged). */
export const COMMAND_ERROR_DETAILS_BYTES_MAX = 16 * 1024;
/** Validation issues listed in `details.issues` at most; the rest are counted in `details.issuesOmitted`. */
export const COMMAND_ERROR_ISSUES_MAX = 20;

/** The shape of every stable code in Strongbox: `<SCOPE>_ERR_<NAME>` (`LEDGER_ERR_INSUFFICIENT_FUNDS`). */
const STABLE_CODE_PATTERN = /^[A-Z][A-Z0-9]*_ERR_[A-Z0-9_]{1,100}$/;

/**
 * A command that did not succeed, with the reply's stable `code`. Thrown by `CommandClient.call`
 * (the server's answer, or COMMAND_ERR_UNAVAILABLE / _INVALID_REQUEST / _INVALID_REPLY found by the
 * client), and thrown by handlers to answer with a code of their own. `retryable` says whether the
 * same request may succeed later; false means the answer is a decision.
 *
 * @example
 * throw new CommandError('LEDGER_ERR_INSUFFICIENT_FUNDS', 'not enough money', { details: { available: '10' } });
 */
export class CommandError extends Error {
  override readonly name = 'CommandError';
  readonly retryable: boolean;
  readonly details: Record<string, unknown> | undefined;

  constructor(
    readonly code: string,
    message: string,
    options?: { retryable?: boolean; details?: Record<string, unknown>; cause?: unknown },
  ) {
    super(message, options?.cause === undefined ? undefined : { cause: options.cause });
    this.retryable = options?.retryable ?? false;
    this.details = options?.details;
  }

  /** The error as a reply body. */
  toBody(): CommandErrorBody {
    return { code: this.code, message: this.message, retryable: this.retryable, ...(this.details === undefined ? {} : { details: this.details }) };
  }
}

/** How a handler failure was classified, for the reply, the metrics and the log. */
export type FailureClass = 'rejected' | 'retryable' | 'internal';

/**
 * The reply body for an error a handler threw:
 * - a CommandError: its code, message, `retryable` and details, as they are;
 * - any error with a stable code (`<SCOPE>_ERR_<NAME>`: DbError, LedgerError, MessagingError …):
 *   that code, its message (masked for secrets and personal data), `retryable` from its own
 *   `retryable` or `transient` flag (false when it has neither: a coded error is a decision unless
 *   it says otherwise), and its `details` when they are a plain JSON object;
 * - anything else: COMMAND_ERR_INTERNAL, retryable, with a generic message. The error itself
 *   (its stack, a driver message with a connection string) never leaves the process.
 */
export function errorBodyOf(error: unknown): { body: CommandErrorBody; failure: FailureClass; detailsDropped: boolean } {
  if (error instanceof CommandError && STABLE_CODE_PATTERN.test(error.code)) {
    const details = replyDetails(error.details);
    const body = errorBody(error.code, error.message, error.retryable, details.value);
    return { body, failure: error.retryable ? 'retryable' : 'rejected', detailsDropped: details.dropped };
  }
  const code = typeof error === 'object' && error !== null ? (error as { code?: unknown }).code : undefined;
  if (typeof code === 'string' && STABLE_CODE_PATTERN.test(code)) {
    const coded = error as { message?: unknown; retryable?: unknown; transient?: unknown; details?: unknown };
    const retryable = typeof coded.retryable === 'boolean' ? coded.retryable : typeof coded.transient === 'boolean' ? coded.transient : false;
    const message = maskSensitiveText(typeof coded.message === 'string' ? coded.message : code);
    const details = replyDetails(coded.details);
    return { body: errorBody(code, message, retryable, details.value), failure: retryable ? 'retryable' : 'rejected', detailsDropped: details.dropped };
  }
  return { body: internalErrorBody(), failure: 'internal', detailsDropped: false };
}

/** COMMAND_ERR_INTERNAL with a message that gives nothing away; the details are in the server's log. */
export function internalErrorBody(): CommandErrorBody {
  return errorBody(CommandErrorCodes.internal, 'the command failed unexpectedly on the server; it may be retried', true, undefined);
}

/** A body within the contracts' limits: the message cut to COMMAND_ERROR_MESSAGE_LENGTH_MAX characters. */
export function errorBody(code: string, message: string, retryable: boolean, details: Record<string, unknown> | undefined): CommandErrorBody {
  const cut = message.length > COMMAND_ERROR_MESSAGE_LENGTH_MAX ? `${message.slice(0, COMMAND_ERROR_MESSAGE_LENGTH_MAX - 1)}…` : message;
  return { code, message: cut, retryable, ...(details === undefined ? {} : { details }) };
}

/** Zod-style issues as reply details: `{ issues: [{ path, code, message }], issuesOmitted? }`, bounded. */
export function issuesDetails(issues: ReadonlyArray<{ path: ReadonlyArray<PropertyKey>; code?: string; message: string }>): Record<string, unknown> {
  const listed = issues.slice(0, COMMAND_ERROR_ISSUES_MAX).map((issue) => ({
    path: issue.path.map((segment) => (typeof segment === 'number' ? segment : String(segment))),
    ...(issue.code === undefined ? {} : { code: issue.code }),
    message: issue.message,
  }));
  return issues.length > COMMAND_ERROR_ISSUES_MAX ? { issues: listed, issuesOmitted: issues.length - COMMAND_ERROR_ISSUES_MAX } : { issues: listed };
}

/** `path: message; …` of the first few issues, for an error message. */
export function issuesSummary(issues: ReadonlyArray<{ path: ReadonlyArray<PropertyKey>; message: string }>): string {
  const shown = issues.slice(0, 5).map((issue) => `${issue.path.map(String).join('.') || '(root)'}: ${issue.message}`);
  return `${shown.join('; ')}${issues.length > 5 ? `; and ${issues.length - 5} more` : ''}`;
}

/** `details` fit for a reply: a plain object that encodes as JSON within the size limit; otherwise left out. */
function replyDetails(details: unknown): { value: Record<string, unknown> | undefined; dropped: boolean } {
  if (details === undefined || details === null) return { value: undefined, dropped: false };
  if (typeof details !== 'object' || Array.isArray(details)) return { value: undefined, dropped: true };
  const prototype: unknown = Object.getPrototypeOf(details);
  if (prototype !== Object.prototype && prototype !== null) return { value: undefined, dropped: true };
  try {
    const json = JSON.stringify(details);
    if (Buffer.byteLength(json, 'utf8') > COMMAND_ERROR_DETAILS_BYTES_MAX) return { value: undefined, dropped: true };
    // The parsed copy is what the caller will see, and it cannot change under the reply.
    return { value: JSON.parse(json) as Record<string, unknown>, dropped: false };
  } catch {
    // A bigint or a cycle: details travel as JSON, so amounts must already be strings.
    return { value: undefined, dropped: true };
  }
}
