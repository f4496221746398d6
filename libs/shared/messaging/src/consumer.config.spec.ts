// Proves the consumer spec checks (table-driven, each refused with MESSAGING_ERR_INVALID_OPTION) and
// the server configuration a spec stands for, including why max_deliver is left to the runner.
import type { ConsumerConfig } from '@nats-io/jetstream';
import { nanos } from '@nats-io/transport-node';
import { describe, expect, it } from 'vitest';
import { consumerConfigOf, consumerDifferences, validateConsumerSpec, type ConsumerSpec } from './consumer.config';
import { MessagingErrorCodes } from './errors';

const valid: ConsumerSpec = {
  stream: 'SB_LEDGER',
  durable: 'notifier-welcome-on-account-opened',
  filterSubject: 'sb.ledger.evt.account.opened.v1',
  maxDeliver: 10,
  backoffMs: [1_000, 5_000],
  ackWaitMs: 30_000,
  batchSizeMax: 50,
  maxAckPending: 1,
  deadLetterSubject: 'sb.dlq.notifier-welcome-on-account-opened',
  description: 'Welcomes a user',
};

describe('validateConsumerSpec', () => {
  it('accepts a valid spec, wildcard filters included', () => {
    expect(() => validateConsumerSpec(valid)).not.toThrow();
    expect(() => validateConsumerSpec({ ...valid, filterSubject: 'sb.*.evt.>' })).not.toThrow();
  });

  it.each<[string, Partial<ConsumerSpec>]>([
    ['an empty filter subject', { filterSubject: '' }],
    ['an invalid stream', { stream: 'SB.LEDGER' }],
    ['a durable with a dot', { durable: 'a.b' }],
    ['an empty durable', { durable: '' }],
    ['a wildcard dead-letter subject', { deadLetterSubject: 'sb.dlq.>' }],
    ['maxDeliver 0', { maxDeliver: 0 }],
    ['a fractional maxDeliver', { maxDeliver: 1.5 }],
    ['no back-off steps', { backoffMs: [] }],
    ['a negative back-off step', { backoffMs: [-1] }],
    ['a back-off step over an hour', { backoffMs: [3_600_001] }],
    ['an ack wait under a second', { ackWaitMs: 999 }],
    ['batchSizeMax 0', { batchSizeMax: 0 }],
    ['batchSizeMax over the limit', { batchSizeMax: 1_001 }],
    ['maxAckPending 0', { maxAckPending: 0 }],
    ['an empty description', { description: '  ' }],
  ])('refuses %s', (_what, change) => {
    expect(() => validateConsumerSpec({ ...valid, ...change })).toThrow(expect.objectContaining({ code: MessagingErrorCodes.invalidOption }));
  });
});

describe('consumerConfigOf', () => {
  it('is an explicit-ack pull consumer delivering all, with the runner counting deliveries', () => {
    expect(consumerConfigOf(valid)).toEqual({
      durable_name: valid.durable,
      description: valid.description,
      ack_policy: 'explicit',
      deliver_policy: 'all',
      replay_policy: 'instant',
      filter_subject: valid.filterSubject,
      ack_wait: nanos(30_000),
      max_deliver: -1,
      max_ack_pending: 1,
    });
  });

  it('compares a consumer on the server with the spec', () => {
    const onServer = consumerConfigOf(valid) as ConsumerConfig;
    expect(consumerDifferences(valid, onServer)).toEqual([]);
    expect(consumerDifferences({ ...valid, ackWaitMs: 5_000, description: 'new' }, onServer)).toEqual(['description', 'ack_wait']);
    expect(consumerDifferences(valid, { ...onServer, max_deliver: 10 })).toEqual(['max_deliver']);
  });
});
