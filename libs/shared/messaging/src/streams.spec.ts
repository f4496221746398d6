// Proves the stream declarations without a server: the standard streams of a namespace, the checks
// on a spec (table-driven, each refused with MESSAGING_ERR_INVALID_OPTION), and how a stream on the
// server is compared with its spec.
import { nanos } from '@nats-io/transport-node';
import type { StreamConfig } from '@nats-io/jetstream';
import { describe, expect, it } from 'vitest';
import { MessagingErrorCodes } from './errors';
import { DUPLICATE_WINDOW_MS, standardStreams, streamConfigOf, streamDifferences, validateStreamSpecs, type StreamSpec } from './streams';

describe('standardStreams', () => {
  it('declares one stream per base with its subjects and ages', () => {
    const specs = standardStreams('sb');
    expect(specs.map((spec) => [spec.name, spec.subjects])).toEqual([
      ['SB_BOT', ['sb.bot.evt.>']],
      ['SB_LEDGER', ['sb.ledger.evt.>']],
      ['SB_CHAIN', ['sb.chain.evt.>']],
      ['SB_NOTIFY', ['sb.notify.evt.>']],
      ['SB_ADMIN', ['sb.admin.evt.>']],
      ['SB_TG_UPDATES', ['sb.tg.updates.>']],
      ['SB_DLQ', ['sb.dlq.>']],
    ]);
    const day = 24 * 60 * 60 * 1_000;
    expect(specs.find((spec) => spec.name === 'SB_LEDGER')?.maxAgeMs).toBe(30 * day);
    expect(specs.find((spec) => spec.name === 'SB_TG_UPDATES')?.maxAgeMs).toBe(day);
    expect(specs.find((spec) => spec.name === 'SB_DLQ')?.maxAgeMs).toBe(30 * day);
    expect(specs.every((spec) => spec.duplicateWindowMs === DUPLICATE_WINDOW_MS)).toBe(true);
    expect(() => validateStreamSpecs(specs)).not.toThrow();
  });

  it.each(['', 'SB', '1sb', 'sb-x', 'a'.repeat(25)])('refuses the namespace %j', (namespace) => {
    expect(() => standardStreams(namespace)).toThrow(expect.objectContaining({ code: MessagingErrorCodes.invalidOption }));
  });
});

const valid: StreamSpec = { name: 'T_X', subjects: ['t.x.>'], description: 'x', maxAgeMs: 60_000, duplicateWindowMs: 1_000 };

describe('validateStreamSpecs', () => {
  it.each<[string, Partial<StreamSpec>]>([
    ['a name with a dot', { name: 'T.X' }],
    ['a name with a space', { name: 'T X' }],
    ['an empty name', { name: '' }],
    ['no subjects', { subjects: [] }],
    ['an invalid subject', { subjects: ['t..x'] }],
    ['an empty description', { description: '' }],
    ['a max age under a second', { maxAgeMs: 999 }],
    ['a fractional max age', { maxAgeMs: 60_000.5 }],
    ['a duplicate window over the max age', { duplicateWindowMs: 60_001 }],
    ['a zero duplicate window', { duplicateWindowMs: 0 }],
    ['zero max bytes', { maxBytes: 0 }],
    ['a negative max message size', { maxMsgSizeBytes: -1 }],
  ])('refuses %s', (_what, change) => {
    expect(() => validateStreamSpecs([{ ...valid, ...change }])).toThrow(expect.objectContaining({ code: MessagingErrorCodes.invalidOption }));
  });

  it('refuses a stream declared twice', () => {
    expect(() => validateStreamSpecs([valid, valid])).toThrow(expect.objectContaining({ code: MessagingErrorCodes.invalidOption }));
  });
});

describe('streamDifferences', () => {
  const onServer = (change: Partial<StreamConfig> = {}): StreamConfig => ({ ...(streamConfigOf(valid) as StreamConfig), ...change });

  it('finds nothing when the server has the spec, whatever the order of the subjects', () => {
    const spec = { ...valid, subjects: ['t.a.>', 't.b.>'] };
    expect(streamDifferences(spec, { ...(streamConfigOf(spec) as StreamConfig), subjects: ['t.b.>', 't.a.>'] })).toEqual([]);
  });

  it('names each setting that differs', () => {
    expect(streamDifferences(valid, onServer({ subjects: ['t.y.>'], max_age: nanos(1_000), discard: 'new' as StreamConfig['discard'] }))).toEqual([
      'subjects',
      'max_age',
      'discard',
    ]);
    expect(streamDifferences({ ...valid, maxBytes: 10 }, onServer())).toEqual(['max_bytes']);
  });
});
