/** The config keys the runtime itself reads; every service schema includes them (config lib fragments). */
export interface RuntimeConfig {
  readonly STRONGBOX_NAMESPACE: string;
  readonly LOG_LEVEL: string;
  readonly OPS_HOST: string;
  readonly OPS_PORT: number;
  readonly OTEL_EXPORTER_OTLP_ENDPOINT?: string | undefined;
  readonly SHUTDOWN_TIMEOUT_MS: number;
  readonly NATS_URL: string;
  readonly DATABASE_URL?: string | undefined;
  readonly DATABASE_POOL_SIZE_MAX?: number | undefined;
  /** Unset, or unreachable, means the service runs in its degraded mode without Redis. */
  readonly REDIS_URL?: string | undefined;
  /** Inbox housekeeping (`inboxEnv`); the defaults apply when a schema lacks them. */
  readonly INBOX_RETENTION_MS?: number | undefined;
  readonly INBOX_PURGE_INTERVAL_MS?: number | undefined;
}
