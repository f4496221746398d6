import { KvWatchInclude, Kvm, type KV } from '@nats-io/kv';
import type { NatsConnection } from '@nats-io/transport-node';
import { kvBucketName } from '@strongbox/shared-contracts';
import type { Logger } from 'pino';
import { MessagingError, MessagingErrorCodes } from './errors';

// ---------------------------------------------------------------------------------------------
// Operational flags in a NATS KV bucket (`<ns>_flags`): switches that every replica of every service
// sees within moments, without a restart — maintenance mode (chain trouble) and the emergency stop.
// ---------------------------------------------------------------------------------------------

/** The flags Strongbox knows; a key outside this list is refused. */
export const Flags = {
  /** The chain node is unusable: withdrawals are refused with a clear message; everything else works. */
  maintenance: 'maintenance',
  /** Every outgoing money movement is halted; reads keep working. */
  emergencyStop: 'emergency-stop',
} as const;
export type Flag = (typeof Flags)[keyof typeof Flags];

/** What is stored under a flag's key. */
export interface FlagValue {
  readonly on: boolean;
  /** Why it was switched, for people (shown in replies and logs). */
  readonly reason: string;
  /** Who switched it: an admin id or a service (`chain-watcher`). */
  readonly setBy: string;
  readonly setAt: string;
}

const FLAGS_BUCKET = 'flags';
/** Earlier values kept per flag, for the audit trail of who switched what. */
const FLAG_HISTORY = 10;
const REASON_LENGTH_MAX = 512;

function flagBucket(nc: NatsConnection, namespace: string): Promise<KV> {
  // `create` opens the bucket when it exists, so every service may call it at start.
  return new Kvm(nc).create(kvBucketName(namespace, FLAGS_BUCKET), { history: FLAG_HISTORY });
}

function assertFlag(flag: string): asserts flag is Flag {
  if (!(Object.values(Flags) as string[]).includes(flag)) {
    throw new MessagingError(MessagingErrorCodes.invalidOption, `unknown flag "${flag}"; known: ${Object.values(Flags).join(', ')}`);
  }
}

function parseFlagValue(flag: string, text: string, logger: Logger): FlagValue | undefined {
  try {
    const value = JSON.parse(text) as Partial<FlagValue>;
    if (typeof value.on !== 'boolean') throw new Error('`on` is not a boolean');
    return { on: value.on, reason: String(value.reason ?? ''), setBy: String(value.setBy ?? ''), setAt: String(value.setAt ?? '') };
  } catch (error) {
    // A malformed value must not switch anything: the last good value stays in force.
    logger.error({ err: error, flag }, 'ignored a malformed flag value');
    return undefined;
  }
}

/**
 * Switches a flag for every service of the namespace.
 *
 * @example
 * await setFlag(nc, 'sb', Flags.emergencyStop, { on: true, reason: 'hot wallet key rotation', setBy: adminId });
 */
export async function setFlag(nc: NatsConnection, namespace: string, flag: Flag, value: { on: boolean; reason: string; setBy: string }): Promise<void> {
  assertFlag(flag);
  if (value.reason.length > REASON_LENGTH_MAX) {
    throw new MessagingError(MessagingErrorCodes.invalidOption, `a flag reason has at most ${REASON_LENGTH_MAX} characters`);
  }
  const kv = await flagBucket(nc, namespace);
  const stored: FlagValue = { on: value.on, reason: value.reason, setBy: value.setBy, setAt: new Date().toISOString() };
  await kv.put(flag, JSON.stringify(stored));
}

/** The flags as one service sees them, kept current by a watch on the bucket. */
export interface FlagWatcher {
  /** The flag's current value; `off` until it was ever set. */
  get(flag: Flag): FlagValue;
  isOn(flag: Flag): boolean;
  stop(): Promise<void>;
}

const OFF: FlagValue = { on: false, reason: '', setBy: '', setAt: '' };

/**
 * Loads every flag and keeps watching for changes. Resolves once the current values are loaded, so
 * a service never starts believing the emergency stop is off when it is on. While NATS is away the
 * last known values stay in force; the watch resumes by itself when the connection is back.
 */
export async function watchFlags(options: { nc: NatsConnection; namespace: string; logger: Logger }): Promise<FlagWatcher> {
  const { logger } = options;
  const kv = await flagBucket(options.nc, options.namespace);
  const values = new Map<string, { value: FlagValue; revision: number }>();
  // A value only replaces an older revision: the watch (started first, so no update is missed) and
  // the initial reads may deliver in either order.
  const apply = (flag: string, revision: number, value: FlagValue | undefined): void => {
    const before = values.get(flag);
    if (before && before.revision >= revision) return;
    if (!value) {
      values.delete(flag);
      logger.warn({ flag }, 'flag deleted: it is off');
      return;
    }
    values.set(flag, { value, revision });
    if ((before?.value.on ?? false) !== value.on && before !== undefined) {
      logger.warn({ flag, on: value.on, reason: value.reason, setBy: value.setBy }, `flag ${flag} switched ${value.on ? 'on' : 'off'}`);
    }
  };
  const watch = await kv.watch({ key: '>', include: KvWatchInclude.UpdatesOnly });
  const done = (async () => {
    for await (const entry of watch) {
      if (!(Object.values(Flags) as string[]).includes(entry.key)) continue;
      if (entry.operation !== 'PUT') {
        apply(entry.key, entry.revision, undefined);
        continue;
      }
      const value = parseFlagValue(entry.key, entry.string(), logger);
      if (value) apply(entry.key, entry.revision, value);
    }
  })().catch((error: unknown) => logger.error({ err: error }, 'flag watch ended'));
  for (const flag of Object.values(Flags)) {
    const entry = await kv.get(flag);
    if (entry && entry.operation === 'PUT') {
      const value = parseFlagValue(flag, entry.string(), logger);
      if (value) apply(flag, entry.revision, value);
    }
  }
  for (const [flag, { value }] of values) if (value.on) logger.warn({ flag, reason: value.reason, setBy: value.setBy }, `flag ${flag} is on`);

  return {
    get: (flag) => values.get(flag)?.value ?? OFF,
    isOn: (flag) => values.get(flag)?.value.on ?? false,
    async stop() {
      watch.stop();
      await done;
    },
  };
}
