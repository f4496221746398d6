import { EVENT_TYPE_PATTERN } from './envelope';
import { ContractError, ContractErrorCodes } from './errors';

// ---------------------------------------------------------------------------------------------
// Namespacing and naming on the bus and in the stores.
//
// One namespace (STRONGBOX_NAMESPACE, default `sb`) prefixes every PostgreSQL schema, NATS stream,
// subject and KV bucket, and every Redis key, so several stacks share the same servers untouched.
// Every helper checks its parts and throws ContractError (CONTRACTS_ERR_INVALID_NAME) for one that
// would break a subject (`.`, `*`, `>`, spaces), a schema identifier or a key: such a name is a
// code or configuration defect, and it is better caught where the name is made than on the wire.
// ---------------------------------------------------------------------------------------------

/** The bounded contexts that publish on the bus; each owns one stream. */
export const Contexts = {
  bot: 'bot',
  ledger: 'ledger',
  chain: 'chain',
  notify: 'notify',
  admin: 'admin',
} as const;
export type Context = (typeof Contexts)[keyof typeof Contexts];

/** Stream of each context's facts, plus the Telegram ingress and the dead letters. */
export const StreamBases = {
  bot: 'BOT',
  ledger: 'LEDGER',
  chain: 'CHAIN',
  notify: 'NOTIFY',
  admin: 'ADMIN',
  tgUpdates: 'TG_UPDATES',
  deadLetters: 'DLQ',
} as const;
export type StreamBase = (typeof StreamBases)[keyof typeof StreamBases];

/** A namespace: lower-case letter first, then letters, digits or `_`; at most 24 characters. */
export const NAMESPACE_PATTERN = /^[a-z][a-z0-9_]{0,23}$/;
export const DEFAULT_NAMESPACE = 'sb';

/**
 * Service, action, durable and aggregate names: lower-case words of letters and digits joined by
 * `-` (`bot-gateway`, `open-account`, `ledger-open-account-on-user-registered`).
 */
export const NAME_TOKEN_PATTERN = /^[a-z][a-z0-9]*(?:-[a-z0-9]+)*$/;

/** Longest service, action or durable name; keeps subjects, schema names and keys short. */
export const NAME_TOKEN_LENGTH_MAX = 128;

/** KV bucket bases: lower-case letter first, then letters, digits or `_` (`flags`). */
const KV_BUCKET_BASE_PATTERN = /^[a-z][a-z0-9_]{0,63}$/;

/** Telegram ingress partitions are numbered from 0; far more than any deployment uses. */
export const TELEGRAM_UPDATE_PARTITIONS_MAX = 1024;

/**
 * Longest service schema name. PostgreSQL truncates identifiers beyond 63 bytes, which could merge
 * two schemas; 56 also leaves room for the `<schema>_outbox` notification channel (shared-db).
 */
const PG_SCHEMA_NAME_LENGTH_MAX = 56;

function invalidName(message: string): ContractError {
  return new ContractError(ContractErrorCodes.invalidName, message);
}

/** Throws ContractError (CONTRACTS_ERR_INVALID_NAME) when `namespace` is unsafe in subjects, schema names and keys. */
export function assertNamespace(namespace: string): void {
  if (typeof namespace !== 'string' || !NAMESPACE_PATTERN.test(namespace)) {
    throw invalidName(`namespace ${JSON.stringify(namespace)} must match ${NAMESPACE_PATTERN.source}`);
  }
}

/** Throws ContractError (CONTRACTS_ERR_INVALID_NAME) unless `value` is a `-`-joined lower-case name. */
function assertToken(what: string, value: string): void {
  if (typeof value !== 'string' || value.length > NAME_TOKEN_LENGTH_MAX || !NAME_TOKEN_PATTERN.test(value)) {
    throw invalidName(`${what} ${JSON.stringify(value)} must match ${NAME_TOKEN_PATTERN.source} and be at most ${NAME_TOKEN_LENGTH_MAX} characters`);
  }
}

function assertContext(context: string): void {
  if (!Object.values<string>(Contexts).includes(context)) {
    throw invalidName(`context ${JSON.stringify(context)} is not one of ${Object.values(Contexts).join(', ')}`);
  }
}

/** `sb.bot.evt.user.registered.v1` for event type `bot.evt.user.registered.v1`. */
export function eventSubject(namespace: string, eventType: string): string {
  assertNamespace(namespace);
  if (typeof eventType !== 'string' || !EVENT_TYPE_PATTERN.test(eventType)) {
    throw invalidName(`event type ${JSON.stringify(eventType)} must match ${EVENT_TYPE_PATTERN.source}`);
  }
  return `${namespace}.${eventType}`;
}

/** Every event subject of one context: `sb.ledger.evt.>`. */
export function contextEventsWildcard(namespace: string, context: Context): string {
  assertNamespace(namespace);
  assertContext(context);
  return `${namespace}.${context}.evt.>`;
}

/** Request/reply subject of a command: `sb.ledger.cmd.open-account`. */
export function commandSubject(namespace: string, context: Context, action: string): string {
  assertNamespace(namespace);
  assertContext(context);
  assertToken('action', action);
  return `${namespace}.${context}.cmd.${action}`;
}

/** Where a durable consumer's poison messages go: `sb.dlq.ledger-open-account-on-user-registered`. */
export function deadLetterSubject(namespace: string, durable: string): string {
  assertNamespace(namespace);
  assertToken('durable', durable);
  return `${namespace}.dlq.${durable}`;
}

/** Every dead-letter subject of the namespace. */
export function deadLetterWildcard(namespace: string): string {
  assertNamespace(namespace);
  return `${namespace}.dlq.>`;
}

/** Telegram ingress subject of one chat partition: `sb.tg.updates.3`. */
export function telegramUpdateSubject(namespace: string, partition: number): string {
  assertNamespace(namespace);
  if (!Number.isInteger(partition) || partition < 0 || partition >= TELEGRAM_UPDATE_PARTITIONS_MAX) {
    throw invalidName(`partition ${String(partition)} must be an integer from 0 to ${TELEGRAM_UPDATE_PARTITIONS_MAX - 1}`);
  }
  return `${namespace}.tg.updates.${partition}`;
}

/** JetStream stream name: `SB_LEDGER`. */
export function streamName(namespace: string, base: StreamBase): string {
  assertNamespace(namespace);
  if (!Object.values<string>(StreamBases).includes(base)) {
    throw invalidName(`stream base ${JSON.stringify(base)} is not one of ${Object.values(StreamBases).join(', ')}`);
  }
  return `${namespace.toUpperCase()}_${base}`;
}

/** Durable consumer name: `<service>-<action>-on-<event>`, e.g. `ledger-open-account-on-user-registered`. */
export function durableName(service: string, action: string, event: string): string {
  assertToken('service', service);
  assertToken('action', action);
  assertToken('event', event);
  const durable = `${service}-${action}-on-${event}`;
  // The parts are checked one by one; the whole must still fit wherever one name fits.
  assertToken('durable', durable);
  return durable;
}

/** KV bucket name: `sb_flags`. */
export function kvBucketName(namespace: string, base: string): string {
  assertNamespace(namespace);
  if (typeof base !== 'string' || !KV_BUCKET_BASE_PATTERN.test(base)) {
    throw invalidName(`KV bucket base ${JSON.stringify(base)} must match ${KV_BUCKET_BASE_PATTERN.source}`);
  }
  return `${namespace}_${base}`;
}

/** PostgreSQL schema a service owns: `sb_ledger`. */
export function pgSchemaName(namespace: string, service: string): string {
  assertNamespace(namespace);
  assertToken('service', service);
  const schema = `${namespace}_${service.replace(/-/g, '_')}`;
  if (schema.length > PG_SCHEMA_NAME_LENGTH_MAX) {
    throw invalidName(`schema name "${schema}" is longer than ${PG_SCHEMA_NAME_LENGTH_MAX} characters`);
  }
  return schema;
}

/** Prefix of every Redis key a service writes: `sb:bot-gateway:`. */
export function redisKeyPrefix(namespace: string, service: string): string {
  assertNamespace(namespace);
  assertToken('service', service);
  return `${namespace}:${service}:`;
}
