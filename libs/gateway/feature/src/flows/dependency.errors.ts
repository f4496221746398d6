import { ChainCommandErrors, CommandErrorCodes, LedgerCommandErrors } from '@strongbox/shared-contracts';
import { CommandError } from '@strongbox/shared-messaging';

/**
 * A service the update needs (ledger, chain-watcher) cannot answer now. The worker tells the user
 * once that their request is kept, and the update is handled again later — never dropped, never
 * answered with an error dump.
 */
export class DependencyUnavailableError extends Error {
  override readonly name = 'DependencyUnavailableError';
  constructor(
    readonly dependency: string,
    options?: { cause?: unknown },
  ) {
    super(`${dependency} is unavailable`, options);
  }
}

const UNAVAILABLE_CODES = new Set<string>([CommandErrorCodes.unavailable, LedgerCommandErrors.unavailable, ChainCommandErrors.unavailable]);

/** True for a command error that says "the service cannot answer now" (not a refusal of the request). */
export function isUnavailable(error: unknown): boolean {
  return error instanceof CommandError && UNAVAILABLE_CODES.has(error.code);
}

/**
 * Runs a call to another service; "unavailable" becomes DependencyUnavailableError, every other
 * error (a refusal the flow handles, a defect) passes unchanged.
 */
export async function callService<T>(dependency: string, call: () => Promise<T>): Promise<T> {
  try {
    return await call();
  } catch (error) {
    if (isUnavailable(error)) throw new DependencyUnavailableError(dependency, { cause: error });
    throw error;
  }
}
