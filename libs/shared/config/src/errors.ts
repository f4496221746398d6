/** Stable error codes of the config lib; a code is never reused for another meaning. */
export const ConfigErrorCodes = {
  invalid: 'CONFIG_ERR_INVALID',
} as const;
export type ConfigErrorCode = (typeof ConfigErrorCodes)[keyof typeof ConfigErrorCodes];

/**
 * The environment does not satisfy the service's config schema. `problems` lists every problem
 * found, each naming its variable; no secret value ever appears in it.
 */
export class ConfigError extends Error {
  override readonly name = 'ConfigError';
  readonly code: ConfigErrorCode = ConfigErrorCodes.invalid;

  readonly problems: string[];

  constructor(problems: readonly string[], options?: { cause?: unknown }) {
    const count = `${problems.length} ${problems.length === 1 ? 'problem' : 'problems'}`;
    super(`invalid configuration (${count}):\n${problems.map((problem) => `  - ${problem}`).join('\n')}`, options);
    this.problems = [...problems];
  }
}
