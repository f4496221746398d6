export { ObservabilityError, ObservabilityErrorCodes, type ObservabilityErrorCode } from './errors';
export { createLogger, type CreateLoggerOptions } from './logger';
export {
  sanitizeForLog,
  sanitizeLogRecord,
  maskSensitiveText,
  isSecretKey,
  REDACTED,
  LOG_DEPTH_MAX,
  LOG_ARRAY_ITEMS_MAX,
  LOG_OBJECT_KEYS_MAX,
  LOG_STRING_CHARS_MAX,
} from './log.redaction';
export { initTracing, type Tracing } from './tracing';
export { createMetricsRegistry, getOrCreateCounter, getOrCreateGauge, getOrCreateHistogram } from './metrics.registry';
export {
  createReadiness,
  READINESS_CHECKS_MAX,
  READINESS_CHECK_TIMEOUT_MS_DEFAULT,
  type HealthCheck,
  type HealthCheckResult,
  type CheckReport,
  type ReadinessReport,
  type Readiness,
} from './readiness';
export { createOpsServer, type OpsServer, type OpsServerOptions } from './ops.server';
