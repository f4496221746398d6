import { BotCommandErrors } from '@strongbox/shared-contracts';

/**
 * Stable error codes of the gateway's data access. The first ones are the command errors admins see
 * (shared with the contracts); the rest are what a user's input can run into.
 */
export const GatewayErrorCodes = {
  ...BotCommandErrors,
  /** A recovery code that is malformed, unknown or already spent. */
  recoveryCodeInvalid: 'BOT_ERR_RECOVERY_CODE_INVALID',
  /** The Telegram account asking for recovery is already a Strongbox user. */
  recoveryAccountRegistered: 'BOT_ERR_RECOVERY_ACCOUNT_REGISTERED',
  /** Free text outside its length limits or with characters that are not allowed. */
  invalidText: 'BOT_ERR_INVALID_TEXT',
} as const;
export type GatewayErrorCode = (typeof GatewayErrorCodes)[keyof typeof GatewayErrorCodes];

/** A refusal of the gateway's data access with a stable `code`; nothing was changed. */
export class GatewayError extends Error {
  override readonly name = 'GatewayError';
  constructor(
    readonly code: GatewayErrorCode,
    message: string,
    options?: { cause?: unknown },
  ) {
    super(message, options);
  }
}
