// ---------------------------------------------------------------------------------------------
// Namespacing and naming on the bus and in the stores.
//
// One namespace (STRONGBOX_NAMESPACE, default `sb`) prefixes every PostgreSQL schema, NATS stream,
// subject and KV bucket, and every Redis key, so several stacks share the same servers untouched.
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

/** Throws when `namespace` cannot be used safely in subjects, schema names and keys. */
export function assertNamespace(namespace: string): void {
  if (!NAMESPACE_PATTERN.test(namespace)) {
    throw new Error(`namespace "${namespace}" must match ${NAMESPACE_PATTERN.source}`);
  }
}

/** `sb.bot.evt.user.registered.v1` for event type `bot.evt.user.registered.v1`. */
export function eventSubject(namespace: string, eventType: string): string {
  return `${namespace}.${eventType}`;
}

/** Every event subject of one context: `sb.ledger.evt.>`. */
export function contextEventsWildcard(namespace: string, context: Context): string {
  return `${namespace}.${context}.evt.>`;
}

/** Request/reply subject of a command: `sb.ledger.cmd.open-account`. */
export function commandSubject(namespace: string, context: Context, action: string): string {
  return `${namespace}.${context}.cmd.${action}`;
}

/** Where a durable consumer's poison messages go: `sb.dlq.ledger-open-account-on-user-registered`. */
export function deadLetterSubject(namespace: string, durable: string): string {
  return `${namespace}.dlq.${durable}`;
}

/** Every dead-letter subject of the namespace. */
export function deadLetterWildcard(namespace: string): string {
  return `${namespace}.dlq.>`;
}

/** Telegram ingress subject of one chat partition: `sb.tg.updates.3`. */
export function telegramUpdateSubject(namespace: string, partition: number): string {
  return `${namespace}.tg.updates.${partition}`;
}

/** JetStream stream name: `SB_LEDGER`. */
export function streamName(namespace: string, base: StreamBase): string {
  return `${namespace.toUpperCase()}_${base}`;
}

/** Durable consumer name: `<service>-<action>-on-<event>`, e.g. `ledger-open-account-on-user-registered`. */
export function durableName(service: string, action: string, event: string): string {
  return `${service}-${action}-on-${event}`;
}

/** KV bucket name: `sb_flags`. */
export function kvBucketName(namespace: string, base: string): string {
  return `${namespace}_${base}`;
}

/** PostgreSQL schema a service owns: `sb_ledger`. */
export function pgSchemaName(namespace: string, service: string): string {
  return `${namespace}_${service.replace(/-/g, '_')}`;
}

/** Prefix of every Redis key a service writes: `sb:bot-gateway:`. */
export function redisKeyPrefix(namespace: string, service: string): string {
  return `${namespace}:${service}:`;
}
