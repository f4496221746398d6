/** Stable error codes of the observability lib; a code is never reused for another meaning. */
export const ObservabilityErrorCodes = {
  /** A metric name is already registered with another type or other label names. */
  metricConflict: 'OBS_ERR_METRIC_CONFLICT',
  /** A readiness check with the same name was added twice. */
  duplicateCheck: 'OBS_ERR_DUPLICATE_CHECK',
  /** More readiness checks than READINESS_CHECKS_MAX, or a check without a usable name. */
  invalidCheck: 'OBS_ERR_INVALID_CHECK',
  /** Tracing was initialised while an earlier initialisation is still active. */
  tracingActive: 'OBS_ERR_TRACING_ACTIVE',
  /** The ops server was started twice, or could not report its address. */
  opsServer: 'OBS_ERR_OPS_SERVER',
} as const;
export type ObservabilityErrorCode = (typeof ObservabilityErrorCodes)[keyof typeof ObservabilityErrorCodes];

/** A misuse of the observability lib: a broken invariant in the calling code, not a runtime outcome. */
export class ObservabilityError extends Error {
  override readonly name = 'ObservabilityError';

  constructor(
    readonly code: ObservabilityErrorCode,
    message: string,
    options?: { cause?: unknown },
  ) {
    super(message, options);
  }
}
