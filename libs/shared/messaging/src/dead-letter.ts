import { maskSensitiveText } from '@strongbox/shared-observability';
import { MessagingErrorCodes } from './errors';
import { HEADERS_COUNT_MAX, headerValue } from './headers';

// ---------------------------------------------------------------------------------------------
// Dead letters: the original body and headers, plus where the message came from and why it was
// given up on. Never a stack trace: it may hold secrets, and the code plus message say enough.
// ---------------------------------------------------------------------------------------------

/** Headers a dead letter carries besides the original message's own. */
export const DeadLetterHeaders = {
  /** Subject the message was originally published on. */
  subject: 'Sb-Dlq-Subject',
  stream: 'Sb-Dlq-Stream',
  streamSeq: 'Sb-Dlq-Stream-Seq',
  /** Durable consumer that gave up on the message. */
  consumer: 'Sb-Dlq-Consumer',
  /** Delivery on which it was given up (the first delivery is 1). */
  deliveryCount: 'Sb-Dlq-Delivery-Count',
  /** Stable error code: the handler error's own `code` when it has one, else a MESSAGING_ERR_* code. */
  errorCode: 'Sb-Dlq-Error-Code',
  /** Error name and message, masked for secrets and personal data, on one line. */
  errorMessage: 'Sb-Dlq-Error-Message',
  /** When the message was dead-lettered (RFC 3339). */
  failedAt: 'Sb-Dlq-Failed-At',
} as const;

/** Longest error message kept in a dead letter's headers. */
export const DEAD_LETTER_ERROR_MESSAGE_LENGTH_MAX = 1_024;
/** Header names with this prefix steer the server (message id, expectations) and are not copied. */
const SERVER_HEADER_PREFIX = 'nats-';
const ERROR_CODE_PATTERN = /^[A-Z][A-Z0-9_]{2,63}$/;

/** Why and where a message was given up on. */
export interface DeadLetterInfo {
  readonly subject: string;
  readonly stream: string;
  readonly streamSeq: number;
  readonly consumer: string;
  readonly deliveryCount: number;
  readonly errorCode: string;
  readonly errorMessage: string;
  readonly failedAt: Date;
}

/**
 * The headers of a dead letter: the original ones (without `Nats-*`, so the original message id
 * cannot make the dead-letter stream drop it as a duplicate), then the DeadLetterHeaders.
 */
export function deadLetterHeaders(original: Readonly<Record<string, string>>, info: DeadLetterInfo): Record<string, string> {
  const headers: Record<string, string> = {};
  const ownNames = new Set<string>(Object.values(DeadLetterHeaders).map((name) => name.toLowerCase()));
  // Leaves room for the dead-letter headers within the record limit.
  const copyMax = HEADERS_COUNT_MAX - ownNames.size;
  let copied = 0;
  for (const [name, value] of Object.entries(original)) {
    const lower = name.toLowerCase();
    if (lower.startsWith(SERVER_HEADER_PREFIX) || ownNames.has(lower)) continue;
    if (copied >= copyMax) break;
    headers[name] = value;
    copied += 1;
  }
  headers[DeadLetterHeaders.subject] = info.subject;
  headers[DeadLetterHeaders.stream] = info.stream;
  headers[DeadLetterHeaders.streamSeq] = String(info.streamSeq);
  headers[DeadLetterHeaders.consumer] = info.consumer;
  headers[DeadLetterHeaders.deliveryCount] = String(info.deliveryCount);
  headers[DeadLetterHeaders.errorCode] = info.errorCode;
  headers[DeadLetterHeaders.errorMessage] = headerValue(maskSensitiveText(info.errorMessage), DEAD_LETTER_ERROR_MESSAGE_LENGTH_MAX);
  headers[DeadLetterHeaders.failedAt] = info.failedAt.toISOString();
  return headers;
}

/**
 * A stable code for a handler failure: the error's own `code` when it looks like one
 * (`LEDGER_ERR_INSUFFICIENT_FUNDS`), else MESSAGING_ERR_HANDLER_FAILED.
 */
export function errorCodeOf(error: unknown): string {
  if (typeof error === 'object' && error !== null && 'code' in error) {
    const code = (error as { code: unknown }).code;
    if (typeof code === 'string' && ERROR_CODE_PATTERN.test(code)) return code;
  }
  return MessagingErrorCodes.handlerFailed;
}

/** Validation issues listed in an error message at most; the rest are counted. */
const ISSUES_LISTED_MAX = 5;

/**
 * `Name: message` of an error, without its stack. A validation error (zod's `issues`) is listed
 * compactly as `path: message; …`, since its own message is a pretty-printed JSON document.
 */
export function errorMessageOf(error: unknown): string {
  if (!(error instanceof Error)) return typeof error === 'string' ? error : `non-error thrown: ${typeof error}`;
  const issues = (error as { issues?: unknown }).issues;
  if (Array.isArray(issues) && issues.length > 0) {
    const listed = issues.slice(0, ISSUES_LISTED_MAX).map((issue: unknown) => {
      const { path, message } = (issue ?? {}) as { path?: unknown; message?: unknown };
      const where = Array.isArray(path) && path.length > 0 ? path.map(String).join('.') : '(root)';
      return `${where}: ${typeof message === 'string' ? message : 'invalid'}`;
    });
    const more = issues.length > ISSUES_LISTED_MAX ? `; and ${issues.length - ISSUES_LISTED_MAX} more` : '';
    return `${error.name}: ${listed.join('; ')}${more}`;
  }
  return `${error.name}: ${error.message}`.replace(/\s+/g, ' ');
}
