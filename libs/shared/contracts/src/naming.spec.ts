// Proves the naming helpers build the documented names from a namespace (subjects, wildcards,
// streams, durables, dead letters, KV buckets, PostgreSQL schemas, Redis key prefixes) and refuse,
// with ContractError CONTRACTS_ERR_INVALID_NAME, every part that would break a subject, an
// identifier or a key. Table-driven, plus a property test that any namespace NAMESPACE_PATTERN
// admits yields names free of wildcards and whitespace.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { ContractError, ContractErrorCodes } from './errors';
import {
  assertNamespace,
  commandSubject,
  contextEventsWildcard,
  Contexts,
  deadLetterSubject,
  deadLetterWildcard,
  DEFAULT_NAMESPACE,
  durableName,
  eventSubject,
  kvBucketName,
  NAME_TOKEN_LENGTH_MAX,
  NAMESPACE_PATTERN,
  pgSchemaName,
  redisKeyPrefix,
  StreamBases,
  streamName,
  TELEGRAM_UPDATE_PARTITIONS_MAX,
  telegramUpdateSubject,
  type Context,
  type StreamBase,
} from './naming';

function expectInvalidName(action: () => unknown, messagePart: string): void {
  let caught: unknown;
  try {
    action();
  } catch (error) {
    caught = error;
  }
  expect(caught).toBeInstanceOf(ContractError);
  expect((caught as ContractError).code).toBe(ContractErrorCodes.invalidName);
  expect((caught as ContractError).message).toContain(messagePart);
}

describe('namespaces', () => {
  it.each(['sb', 'a', 't_1a2b3c', 'a'.repeat(24), DEFAULT_NAMESPACE])('admits %s', (namespace) => {
    expect(namespace).toMatch(NAMESPACE_PATTERN);
    expect(() => assertNamespace(namespace)).not.toThrow();
  });

  it.each([
    ['', 'empty'],
    ['SB', 'upper case'],
    ['1sb', 'a leading digit'],
    ['_sb', 'a leading underscore'],
    ['s-b', 'a hyphen'],
    ['s.b', 'a dot, which would add a subject token'],
    ['s*', 'a wildcard'],
    ['s>', 'a tail wildcard'],
    ['s b', 'a space'],
    ['sb:', 'a Redis separator'],
    ['a'.repeat(25), 'more than 24 characters'],
  ])('refuses %j (%s)', (namespace) => {
    expect(namespace).not.toMatch(NAMESPACE_PATTERN);
    expectInvalidName(() => assertNamespace(namespace), 'must match');
  });
});

describe('names built from a namespace', () => {
  it('builds the documented names', () => {
    expect(eventSubject('sb', 'bot.evt.user.registered.v1')).toBe('sb.bot.evt.user.registered.v1');
    expect(contextEventsWildcard('sb', Contexts.ledger)).toBe('sb.ledger.evt.>');
    expect(commandSubject('sb', Contexts.ledger, 'open-account')).toBe('sb.ledger.cmd.open-account');
    expect(deadLetterSubject('sb', 'ledger-open-account-on-user-registered')).toBe('sb.dlq.ledger-open-account-on-user-registered');
    expect(deadLetterWildcard('sb')).toBe('sb.dlq.>');
    expect(telegramUpdateSubject('sb', 3)).toBe('sb.tg.updates.3');
    expect(streamName('sb', StreamBases.ledger)).toBe('SB_LEDGER');
    expect(streamName('t_1a2b', StreamBases.tgUpdates)).toBe('T_1A2B_TG_UPDATES');
    expect(durableName('ledger', 'open-account', 'user-registered')).toBe('ledger-open-account-on-user-registered');
    expect(kvBucketName('sb', 'flags')).toBe('sb_flags');
    expect(pgSchemaName('sb', 'bot-gateway')).toBe('sb_bot_gateway');
    expect(pgSchemaName('sb', 'ledger')).toBe('sb_ledger');
    expect(pgSchemaName('a'.repeat(24), 'b'.repeat(31))).toHaveLength(56);
    expect(redisKeyPrefix('sb', 'bot-gateway')).toBe('sb:bot-gateway:');
  });

  it('gives every context its own stream', () => {
    const names = Object.values(StreamBases).map((base) => streamName('sb', base));
    expect(new Set(names).size).toBe(names.length);
    for (const context of Object.values(Contexts)) expect(Object.values<string>(StreamBases)).toContain(context.toUpperCase());
  });

  it('keeps two namespaces apart in every name', () => {
    const a = 't_aaaa';
    const b = 't_bbbb';
    const pairs: Array<[string, string]> = [
      [eventSubject(a, 'ledger.evt.account.opened.v1'), eventSubject(b, 'ledger.evt.account.opened.v1')],
      [streamName(a, StreamBases.bot), streamName(b, StreamBases.bot)],
      [kvBucketName(a, 'flags'), kvBucketName(b, 'flags')],
      [pgSchemaName(a, 'ledger'), pgSchemaName(b, 'ledger')],
      [redisKeyPrefix(a, 'ledger'), redisKeyPrefix(b, 'ledger')],
    ];
    for (const [left, right] of pairs) expect(left).not.toBe(right);
    expect(redisKeyPrefix(a, 'ledger').startsWith(redisKeyPrefix(b, 'ledger'))).toBe(false);
  });

  const badNamespace = 'S.B';
  it.each([
    ['eventSubject', () => eventSubject(badNamespace, 'bot.evt.user.registered.v1')],
    ['contextEventsWildcard', () => contextEventsWildcard(badNamespace, Contexts.bot)],
    ['commandSubject', () => commandSubject(badNamespace, Contexts.bot, 'register')],
    ['deadLetterSubject', () => deadLetterSubject(badNamespace, 'ledger-x-on-y')],
    ['deadLetterWildcard', () => deadLetterWildcard(badNamespace)],
    ['telegramUpdateSubject', () => telegramUpdateSubject(badNamespace, 0)],
    ['streamName', () => streamName(badNamespace, StreamBases.bot)],
    ['kvBucketName', () => kvBucketName(badNamespace, 'flags')],
    ['pgSchemaName', () => pgSchemaName(badNamespace, 'ledger')],
    ['redisKeyPrefix', () => redisKeyPrefix(badNamespace, 'ledger')],
  ])('%s refuses a bad namespace', (_helper, build) => {
    expectInvalidName(build, `namespace "${badNamespace}" must match`);
  });

  it.each([
    ['an event type without version', () => eventSubject('sb', 'bot.evt.user.registered'), 'event type "bot.evt.user.registered"'],
    ['an event type with a wildcard', () => eventSubject('sb', 'bot.evt.>'), 'event type "bot.evt.>"'],
    ['an unknown context', () => contextEventsWildcard('sb', 'billing' as Context), 'context "billing" is not one of'],
    ['a dotted action', () => commandSubject('sb', Contexts.ledger, 'open.account'), 'action "open.account"'],
    ['an empty action', () => commandSubject('sb', Contexts.ledger, ''), 'action ""'],
    ['a durable with a wildcard', () => deadLetterSubject('sb', 'ledger-*'), 'durable "ledger-*"'],
    ['a negative partition', () => telegramUpdateSubject('sb', -1), 'partition -1'],
    ['a fractional partition', () => telegramUpdateSubject('sb', 1.5), 'partition 1.5'],
    ['a partition out of range', () => telegramUpdateSubject('sb', TELEGRAM_UPDATE_PARTITIONS_MAX), `partition ${TELEGRAM_UPDATE_PARTITIONS_MAX}`],
    ['NaN as partition', () => telegramUpdateSubject('sb', Number.NaN), 'partition NaN'],
    ['an unknown stream base', () => streamName('sb', 'PAYMENTS' as StreamBase), 'stream base "PAYMENTS"'],
    ['an upper-case service in a durable', () => durableName('Ledger', 'open-account', 'user-registered'), 'service "Ledger"'],
    ['a spaced action in a durable', () => durableName('ledger', 'open account', 'user-registered'), 'action "open account"'],
    ['a dotted event in a durable', () => durableName('ledger', 'open-account', 'user.registered'), 'event "user.registered"'],
    ['a durable longer than the maximum', () => durableName('a'.repeat(60), 'b'.repeat(60), 'c'.repeat(60)), 'durable "'],
    ['a KV bucket base with a dot', () => kvBucketName('sb', 'flags.v1'), 'KV bucket base "flags.v1"'],
    ['a service with an underscore', () => pgSchemaName('sb', 'bot_gateway'), 'service "bot_gateway"'],
    ['a service with a quote', () => pgSchemaName('sb', 'ledger"; drop schema x; --'), 'service "ledger\\"; drop schema x; --"'],
    ['a schema name too long for PostgreSQL and its outbox channel', () => pgSchemaName('a'.repeat(24), 'b'.repeat(32)), 'longer than 56 characters'],
    ['a Redis service with a colon', () => redisKeyPrefix('sb', 'bot:gateway'), 'service "bot:gateway"'],
  ])('refuses %s', (_label, build, messagePart) => {
    expectInvalidName(build, messagePart);
  });

  it('admits names up to the maximum length', () => {
    const longest = 'a'.repeat(NAME_TOKEN_LENGTH_MAX);
    expect(deadLetterSubject('sb', longest)).toBe(`sb.dlq.${longest}`);
    expectInvalidName(() => deadLetterSubject('sb', `${longest}x`), 'at most 128 characters');
  });

  it('yields names without wildcards or whitespace for every admitted namespace (property)', () => {
    const namespace = fc.stringMatching(NAMESPACE_PATTERN);
    fc.assert(
      fc.property(namespace, fc.constantFrom(...Object.values(Contexts)), fc.nat({ max: TELEGRAM_UPDATE_PARTITIONS_MAX - 1 }), (ns, context, partition) => {
        const subjects = [
          eventSubject(ns, `${context}.evt.thing.happened.v1`),
          commandSubject(ns, context, 'do-it'),
          deadLetterSubject(ns, durableName('svc', 'act', 'evt')),
          telegramUpdateSubject(ns, partition),
        ];
        for (const subject of subjects) {
          expect(subject).toMatch(/^[A-Za-z0-9_-]+(?:\.[A-Za-z0-9_-]+)+$/);
          expect(subject.startsWith(`${ns}.`)).toBe(true);
        }
        expect(streamName(ns, StreamBases.bot)).toMatch(/^[A-Z0-9_]+$/);
        expect(pgSchemaName(ns, 'chain-watcher')).toMatch(/^[a-z][a-z0-9_]*$/);
      }),
      { numRuns: 300 },
    );
  });
});
