/** Stable error codes of the testing lib; a code is never reused for another meaning. */
export const TestingErrorCodes = {
  /** `waitFor` or `waitForMessage` saw no satisfying value before its deadline. */
  timeout: 'TESTING_ERR_TIMEOUT',
  /** A private server process could not be started or did not become ready in time. */
  serverStart: 'TESTING_ERR_SERVER_START',
  /** A private server process did not stop in time, or was used after `stop()`. */
  serverStop: 'TESTING_ERR_SERVER_STOP',
  /** An argument outside its allowed range (a bad namespace prefix, a non-positive timeout). */
  invalidOption: 'TESTING_ERR_INVALID_OPTION',
  /** The test asked the Bot API emulator for something a real Telegram user could not do. */
  emulatorMisuse: 'TESTING_ERR_EMULATOR_MISUSE',
  /** The Bot API emulator was used after `close()`. */
  emulatorClosed: 'TESTING_ERR_EMULATOR_CLOSED',
} as const;
export type TestingErrorCode = (typeof TestingErrorCodes)[keyof typeof TestingErrorCodes];

/** A failure of a test helper, with a stable `code`; the underlying error is kept as `cause`. */
export class TestingError extends Error {
  override readonly name = 'TestingError';

  constructor(
    readonly code: TestingErrorCode,
    message: string,
    options?: { cause?: unknown },
  ) {
    super(message, options);
  }
}
