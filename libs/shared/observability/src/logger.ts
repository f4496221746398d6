import { hostname } from 'node:os';
import { context, isSpanContextValid, trace } from '@opentelemetry/api';
import { pino, type DestinationStream, type Logger } from 'pino';
import { maskSensitiveText, sanitizeLogRecord } from './log.redaction';

export interface CreateLoggerOptions {
  /** The service name, as in `apps/<service>`. */
  service: string;
  namespace: string;
  /** A pino level: fatal, error, warn, info, debug, trace (or silent). */
  level: string;
  /** Where JSON lines go; standard output (synchronously) when omitted. */
  destination?: DestinationStream;
}

/**
 * A pino JSON logger whose every line carries `service`, `namespace`, and the `trace_id`/`span_id`
 * of the active OpenTelemetry span, and in which secrets are redacted by key (at any depth) and
 * personal data (phone numbers, e-mail and EVM addresses, bot tokens, names) is masked — in logged
 * objects, child bindings, errors and the message alike.
 *
 * @example
 * const logger = createLogger({ service: 'ledger', namespace: 'sb', level: 'info' });
 * logger.info({ userId }, 'accounts opened');
 */
export function createLogger(options: CreateLoggerOptions): Logger {
  const settings: pino.LoggerOptions = {
    level: options.level,
    base: { service: options.service, namespace: options.namespace, pid: process.pid, hostname: hostname() },
    timestamp: pino.stdTimeFunctions.isoTime,
    messageKey: 'msg',
    errorKey: 'err',
    mixin: traceFields,
    formatters: {
      level: (label) => ({ level: label }),
      bindings: (bindings) => sanitizeLogRecord(bindings),
      log: (record) => sanitizeLogRecord(record),
    },
    serializers: {
      // Errors are already serialised (and masked) by the `log` formatter; a second pass by pino's
      // default serializer would rename their type to `Object`.
      err: (value: unknown) => value,
      msg: (value: unknown) => (typeof value === 'string' ? maskSensitiveText(value) : value),
    },
  };
  const logger = options.destination ? pino(settings, options.destination) : pino(settings);
  sanitizeChildBindings(logger);
  return logger;
}

/**
 * pino applies the `bindings` formatter to the root's base fields only; a child's bindings are
 * written as given. Wrapping `child` and `setBindings` on the root covers every descendant, since
 * pino creates children with the parent as prototype.
 */
function sanitizeChildBindings(logger: Logger): void {
  const originalChild = logger.child as unknown as (this: Logger, bindings: pino.Bindings, childOptions?: pino.ChildLoggerOptions) => Logger;
  const originalSetBindings = logger.setBindings as (this: Logger, bindings: pino.Bindings) => void;
  const wrappedChild = function (this: Logger, bindings: pino.Bindings, childOptions?: pino.ChildLoggerOptions) {
    return originalChild.call(this, sanitizeLogRecord(bindings), childOptions);
  };
  const wrappedSetBindings = function (this: Logger, bindings: pino.Bindings) {
    originalSetBindings.call(this, sanitizeLogRecord(bindings));
  };
  Object.assign(logger, { child: wrappedChild, setBindings: wrappedSetBindings });
}

/** The active span's ids, so a log line can be found from a trace and the other way round. */
function traceFields(): Record<string, string> {
  const span = trace.getSpan(context.active());
  if (!span) return {};
  const spanContext = span.spanContext();
  if (!isSpanContextValid(spanContext)) return {};
  return { trace_id: spanContext.traceId, span_id: spanContext.spanId };
}
