// Proves that a consumer keeps working across a NATS outage: against a private nats-server with
// JetStream (its own port and store dir), events are published, the server is stopped while the
// runner is part-way through them and started again on the same store dir, and then more events
// are published. Every event is eventually handled and acknowledged (the consumer's ack floor
// reaches the last sequence), none is dead-lettered, and a redelivery around the outage (an ack
// that was lost with the connection) is the only way an event is seen twice.
import { setTimeout as delay } from 'node:timers/promises';
import { startPrivateNats, waitFor, type PrivateServer } from '@strongbox/shared-testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createEventPublisher, startConsumer, type ConsumerHandle } from '../../src/index';
import { openTestBus, quietLogger, storedMessages, testConsumerSpec, testEvent, type TestBus } from '../support/harness';
import { cloudEventEnvelopeSchema } from '@strongbox/shared-contracts';

const EVENTS_BEFORE = 30;
const EVENTS_AFTER = 10;
/** Each event takes a little handling time, so the outage lands while the runner is mid-stream. */
const HANDLE_MS = 20;

let nats: PrivateServer;
let bus: TestBus;
beforeAll(async () => {
  nats = await startPrivateNats();
  bus = await openTestBus({ url: nats.url, prefix: 'outage', reconnectTimeWaitMs: 200 });
});
afterAll(async () => {
  await bus?.dispose().catch(() => undefined);
  await nats?.stop();
});

describe('a consumer across a NATS outage', () => {
  it('handles everything published before and after the server restarts', async () => {
    const spec = testConsumerSpec(bus, { ackWaitMs: 2_000, maxDeliver: 10, backoffMs: [200] });
    const seen = new Map<string, number>();
    const handle: ConsumerHandle = await startConsumer({
      js: bus.js,
      jsm: bus.jsm,
      spec,
      decode: (raw) => cloudEventEnvelopeSchema.parse(raw),
      handle: async (event) => {
        seen.set(event.id, (seen.get(event.id) ?? 0) + 1);
        await delay(HANDLE_MS);
      },
      logger: quietLogger(),
    });
    try {
      const publisher = createEventPublisher(bus.js, { timeoutMs: 2_000 });
      const subject = `${bus.namespace}.bot.evt.widget.created.v1`;
      const published: string[] = [];
      for (let index = 0; index < EVENTS_BEFORE; index += 1) {
        const event = testEvent({ n: index });
        await publisher.publish(subject, event);
        published.push(event.id);
      }
      await waitFor(() => seen.size >= 5, { timeoutMs: 15_000, description: 'the runner to be part-way through the events' });
      expect(seen.size).toBeLessThan(EVENTS_BEFORE);

      // Graceful stop (the store is flushed) and a start on the same port and store dir.
      await nats.restart();

      for (let index = 0; index < EVENTS_AFTER; index += 1) {
        const event = testEvent({ n: EVENTS_BEFORE + index });
        // The client reconnects on its own; until it has, a publish fails as transient and is
        // simply repeated with the same event id (de-duplicated should an earlier try have landed).
        await waitFor(() => publisher.publish(subject, event), { timeoutMs: 20_000, intervalMs: 100, description: `publish ${index} after the restart` });
        published.push(event.id);
      }

      await waitFor(
        async () => {
          const info = await bus.jsm.consumers.info(spec.stream, spec.durable);
          return info.ack_floor.stream_seq === EVENTS_BEFORE + EVENTS_AFTER && info.num_ack_pending === 0 && info.num_pending === 0;
        },
        { timeoutMs: 45_000, intervalMs: 200, description: 'every event to be acked after the outage' },
      );
      expect(new Set(seen.keys())).toEqual(new Set(published));
      // At most the one message in hand when the server went away can be seen twice.
      expect([...seen.values()].filter((count) => count > 1).length).toBeLessThanOrEqual(spec.maxAckPending);
      expect(await storedMessages(bus, `${bus.namespace.toUpperCase()}_DLQ`, `${bus.namespace}.dlq.>`)).toHaveLength(0);
    } finally {
      await handle.stop(5_000);
    }
  });
});
