// Proves that streams are converged as code against the real NATS server: `ensureStreams` creates
// the standard streams, is idempotent (a second run changes nothing, concurrent runs both succeed),
// updates subjects and limits in place without losing messages, refuses a storage change with
// MESSAGING_ERR_STREAM_CONFLICT, and rejects invalid specs with MESSAGING_ERR_INVALID_OPTION before
// touching the server. Each test works in its own namespace and deletes its streams.
import { nanos } from '@nats-io/transport-node';
import { StorageType } from '@nats-io/jetstream';
import { afterEach, describe, expect, it } from 'vitest';
import { MessagingErrorCodes, ensureStreams, standardStreams, type StreamSpec } from '../../src/index';
import { openTestBus, testEvent, type TestBus } from '../support/harness';
import { createEventPublisher } from '../../src/index';

const buses: TestBus[] = [];
afterEach(async () => {
  for (const bus of buses.splice(0)) await bus.dispose();
});

async function bus(): Promise<TestBus> {
  const opened = await openTestBus({ prefix: 'streams' });
  buses.push(opened);
  return opened;
}

describe('ensureStreams', () => {
  it('creates one stream per base with the documented settings', async () => {
    const { jsm, namespace } = await bus();
    const upper = namespace.toUpperCase();
    const names = [];
    for await (const name of jsm.streams.names(`${namespace}.>`)) names.push(name);
    expect(names.sort()).toEqual(
      ['ADMIN', 'BOT', 'CHAIN', 'DLQ', 'LEDGER', 'NOTIFY', 'TG_UPDATES'].map((base) => `${upper}_${base}`).sort(),
    );
    const ledger = (await jsm.streams.info(`${upper}_LEDGER`)).config;
    expect(ledger).toMatchObject({
      subjects: [`${namespace}.ledger.evt.>`],
      storage: 'file',
      retention: 'limits',
      discard: 'old',
      num_replicas: 1,
      max_age: nanos(30 * 24 * 3_600_000),
      duplicate_window: nanos(120_000),
    });
    expect((await jsm.streams.info(`${upper}_TG_UPDATES`)).config).toMatchObject({
      subjects: [`${namespace}.tg.updates.>`],
      max_age: nanos(24 * 3_600_000),
    });
    expect((await jsm.streams.info(`${upper}_DLQ`)).config.subjects).toEqual([`${namespace}.dlq.>`]);
  });

  it('is idempotent: a second run and two concurrent runs leave the same streams and messages', async () => {
    const testBus = await bus();
    const { jsm, js, namespace, streams } = testBus;
    const name = `${namespace.toUpperCase()}_BOT`;
    await createEventPublisher(js, { timeoutMs: 5_000 }).publish(`${namespace}.bot.evt.widget.created.v1`, testEvent());
    const before = await jsm.streams.info(name);

    await ensureStreams(jsm, streams);
    await Promise.all([ensureStreams(jsm, streams), ensureStreams(jsm, standardStreams(namespace))]);

    const after = await jsm.streams.info(name);
    expect(after.config).toEqual(before.config);
    expect(after.created).toBe(before.created);
    expect(after.state.messages).toBe(1);
  });

  it('updates subjects and limits in place, keeping the stored messages', async () => {
    const { jsm, js, namespace } = await bus();
    const name = `${namespace.toUpperCase()}_EXTRA`;
    const spec: StreamSpec = {
      name,
      subjects: [`${namespace}.extra.a.>`],
      description: 'extra stream of one test',
      maxAgeMs: 60_000,
      duplicateWindowMs: 10_000,
    };
    try {
      await ensureStreams(jsm, [spec]);
      await js.publish(`${namespace}.extra.a.one`, 'kept');

      await ensureStreams(jsm, [{ ...spec, subjects: [`${namespace}.extra.a.>`, `${namespace}.extra.b.>`], maxAgeMs: 120_000, maxBytes: 1_000_000 }]);

      const info = await jsm.streams.info(name);
      expect(info.config.subjects.sort()).toEqual([`${namespace}.extra.a.>`, `${namespace}.extra.b.>`]);
      expect(info.config.max_age).toBe(nanos(120_000));
      expect(info.config.max_bytes).toBe(1_000_000);
      expect(info.state.messages).toBe(1);
      // The new subject is captured now.
      await expect(js.publish(`${namespace}.extra.b.two`, 'new')).resolves.toMatchObject({ stream: name, seq: 2 });
    } finally {
      await jsm.streams.delete(name).catch(() => false);
    }
  });

  it('refuses a storage change with MESSAGING_ERR_STREAM_CONFLICT and leaves the stream as it was', async () => {
    const { jsm, namespace } = await bus();
    const name = `${namespace.toUpperCase()}_MEM`;
    await jsm.streams.add({ name, subjects: [`${namespace}.mem.>`], storage: StorageType.Memory });
    try {
      await expect(
        ensureStreams(jsm, [{ name, subjects: [`${namespace}.mem.>`], description: 'file wanted', maxAgeMs: 60_000, duplicateWindowMs: 1_000 }]),
      ).rejects.toMatchObject({ code: MessagingErrorCodes.streamConflict, transient: false });
      expect((await jsm.streams.info(name)).config.storage).toBe('memory');
    } finally {
      await jsm.streams.delete(name).catch(() => false);
    }
  });

  it('refuses subjects that overlap another stream with MESSAGING_ERR_STREAM_CONFLICT', async () => {
    const { jsm, namespace } = await bus();
    const name = `${namespace.toUpperCase()}_OVERLAP`;
    await expect(
      ensureStreams(jsm, [{ name, subjects: [`${namespace}.bot.evt.>`], description: 'overlaps BOT', maxAgeMs: 60_000, duplicateWindowMs: 1_000 }]),
    ).rejects.toMatchObject({ code: MessagingErrorCodes.streamConflict });
    await expect(jsm.streams.info(name)).rejects.toThrow(/not found/);
  });

  it('rejects invalid specs with MESSAGING_ERR_INVALID_OPTION and creates nothing', async () => {
    const { jsm, namespace } = await bus();
    const valid: StreamSpec = {
      name: `${namespace.toUpperCase()}_NEVER`,
      subjects: [`${namespace}.never.>`],
      description: 'never created',
      maxAgeMs: 60_000,
      duplicateWindowMs: 1_000,
    };
    const invalid: Array<[string, Partial<StreamSpec>]> = [
      ['a dotted name', { name: 'A.B' }],
      ['no subjects', { subjects: [] }],
      ['an empty token', { subjects: [`${namespace}..x`] }],
      ['a > before the end', { subjects: [`${namespace}.>.x`] }],
      ['a zero max age', { maxAgeMs: 0 }],
      ['a duplicate window above the max age', { duplicateWindowMs: 120_000 }],
      ['a fractional max bytes', { maxBytes: 1.5 }],
      ['an empty description', { description: ' ' }],
    ];
    for (const [what, change] of invalid) {
      await expect(ensureStreams(jsm, [{ ...valid, ...change }]), what).rejects.toMatchObject({ code: MessagingErrorCodes.invalidOption });
    }
    // The first spec is valid, the second not: the whole call is refused before anything is created.
    await expect(ensureStreams(jsm, [valid, { ...valid, name: 'BAD NAME' }])).rejects.toMatchObject({ code: MessagingErrorCodes.invalidOption });
    await expect(jsm.streams.info(valid.name)).rejects.toThrow(/not found/);
    expect(() => standardStreams('Bad-Namespace')).toThrow(expect.objectContaining({ code: MessagingErrorCodes.invalidOption }));
  });
});
