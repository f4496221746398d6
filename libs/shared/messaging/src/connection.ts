import { connect, type NatsConnection } from '@nats-io/transport-node';
import { MessagingError, MessagingErrorCodes } from './errors';
import { assertIntegerInRange } from './timeout';

/** Reconnect forever: a service outlives a NATS restart and its readiness reports the gap. */
export const RECONNECT_FOREVER = -1;
const RECONNECT_TIME_WAIT_MS_DEFAULT = 2_000;
/** Server pings every 20 s, and two missed answers mark the connection stale and trigger a reconnect. */
const PING_INTERVAL_MS = 20_000;
const PINGS_OUTSTANDING_MAX = 2;

export interface ConnectNatsOptions {
  readonly servers: string | readonly string[];
  /** Connection name shown in the server's monitoring, e.g. `sb-ledger`. */
  readonly name: string;
  /** How long the first connection may take before this call fails. */
  readonly connectTimeoutMs: number;
  /** Reconnect attempts after a connection is lost; -1 (the default) is forever. */
  readonly maxReconnectAttempts?: number;
  /** Pause between reconnect attempts to the same server; defaults to 2 s. */
  readonly reconnectTimeWaitMs?: number;
}

/**
 * Connects to NATS with every option that matters set explicitly: a bounded first connection,
 * endless reconnects (by default), pings to detect a dead link, and a bounded reconnect buffer.
 * Fails with a transient MESSAGING_ERR_CONNECT_FAILED when the server cannot be reached, so the
 * caller can retry with back-off.
 *
 * @example
 * const nc = await connectNats({ servers: 'nats://127.0.0.1:4222', name: 'sb-ledger', connectTimeoutMs: 5_000 });
 */
export async function connectNats(options: ConnectNatsOptions): Promise<NatsConnection> {
  assertIntegerInRange('connectTimeoutMs', options.connectTimeoutMs, 1);
  const maxReconnectAttempts = options.maxReconnectAttempts ?? RECONNECT_FOREVER;
  assertIntegerInRange('maxReconnectAttempts', maxReconnectAttempts, RECONNECT_FOREVER);
  const reconnectTimeWaitMs = options.reconnectTimeWaitMs ?? RECONNECT_TIME_WAIT_MS_DEFAULT;
  assertIntegerInRange('reconnectTimeWaitMs', reconnectTimeWaitMs, 0);
  const servers = typeof options.servers === 'string' ? [options.servers] : [...options.servers];
  if (servers.length === 0) throw new MessagingError(MessagingErrorCodes.invalidOption, 'servers must name at least one server');

  try {
    return await connect({
      servers,
      name: options.name,
      timeout: options.connectTimeoutMs,
      // The first connection fails fast; the caller decides how long to wait for the bus at start.
      waitOnFirstConnect: false,
      reconnect: true,
      maxReconnectAttempts,
      reconnectTimeWait: reconnectTimeWaitMs,
      pingInterval: PING_INTERVAL_MS,
      maxPingOut: PINGS_OUTSTANDING_MAX,
    });
  } catch (error) {
    throw new MessagingError(MessagingErrorCodes.connectFailed, `could not connect to NATS at ${servers.map(redactUrl).join(', ')}`, {
      cause: error,
      transient: true,
    });
  }
}

/** Drops any user:password from a server URL, so a credential never reaches an error message or a log. */
export function redactUrl(url: string): string {
  return url.replace(/\/\/[^@/]*@/, '//***@');
}
