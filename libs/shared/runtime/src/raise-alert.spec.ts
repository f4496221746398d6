import { Writable } from 'node:stream';
import { jetstream, jetstreamManager, type JetStreamManager } from '@nats-io/jetstream';
import { connect, type NatsConnection } from '@nats-io/transport-node';
import { pino } from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { eventSubject, ledgerAlertRaisedV1, streamName, StreamBases } from '@strongbox/shared-contracts';
import { ensureStreams, standardStreams } from '@strongbox/shared-messaging';
import { TEST_NATS_URL, uniqueNamespace } from '@strongbox/shared-testing';
import { raiseAlert } from './raise-alert';

const namespace = uniqueNamespace('alert');
let nc: NatsConnection;
let jsm: JetStreamManager;
const lines: string[] = [];
const logger = pino(
  { level: 'info' },
  new Writable({
    write(chunk: Buffer, _encoding, done) {
      lines.push(chunk.toString());
      done();
    },
  }),
);

beforeAll(async () => {
  nc = await connect({ servers: TEST_NATS_URL });
  jsm = await jetstreamManager(nc);
  await ensureStreams(jsm, standardStreams(namespace));
});

afterAll(async () => {
  for (const base of Object.values(StreamBases)) await jsm.streams.delete(streamName(namespace, base)).catch(() => undefined);
  await nc.close();
});

const alert = { context: 'ledger', service: 'ledger', code: 'LEDGER_INVARIANT_VIOLATED', severity: 'critical', dedupeKey: 'ledger:invariants', summary: '2 invariants violated', details: { violations: '2' } } as const;

async function stored(): Promise<number> {
  return (await jsm.streams.info(streamName(namespace, StreamBases.ledger))).state.messages;
}

describe('raiseAlert', () => {
  it('publishes a valid alert.raised event, one per key and time bucket', async () => {
    const target = { js: jetstream(nc), namespace, logger };
    const at = new Date('2026-01-01T00:00:10Z');
    expect(await raiseAlert(target, alert, { now: at })).toBe(true);
    expect(await raiseAlert(target, alert, { now: new Date('2026-01-01T00:00:50Z') })).toBe(true);
    expect(await stored()).toBe(1);
    expect(await raiseAlert(target, alert, { now: new Date('2026-01-01T00:01:10Z') })).toBe(true);
    expect(await raiseAlert(target, { ...alert, dedupeKey: 'ledger:other' }, { now: at })).toBe(true);
    expect(await stored()).toBe(3);
    const message = await jsm.streams.getMessage(streamName(namespace, StreamBases.ledger), { seq: 1 });
    expect(message?.subject).toBe(eventSubject(namespace, ledgerAlertRaisedV1.type));
    expect(ledgerAlertRaisedV1.parse(message?.json()).data).toMatchObject({ code: alert.code, dedupeKey: alert.dedupeKey, details: { violations: '2' }, raisedAt: at.toISOString() });
  });

  it('never throws: an invalid alert or a closed connection resolves false and logs the alert', async () => {
    const target = { js: jetstream(nc), namespace, logger };
    expect(await raiseAlert(target, { ...alert, code: 'not a code' })).toBe(false);
    const closed = await connect({ servers: TEST_NATS_URL });
    await closed.close();
    expect(await raiseAlert({ js: jetstream(closed), namespace, logger }, { ...alert, dedupeKey: 'ledger:closed' })).toBe(false);
    const logged = lines.filter((line) => line.includes('alert could not be published')).map((line) => JSON.parse(line) as Record<string, unknown>);
    expect(logged).toHaveLength(2);
    expect(logged[1]).toMatchObject({ alert: true, code: alert.code, dedupeKey: 'ledger:closed' });
  });
});
