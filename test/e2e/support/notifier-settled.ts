import type { JetStreamManager } from '@nats-io/jetstream';
import { durableName, streamName, StreamBases } from '@strongbox/shared-contracts';
import { waitFor } from '@strongbox/shared-testing';
import type { E2eStack } from './e2e-stack';

/**
 * Waits until the notifier has told everything a registration and a deposit make it tell (welcome,
 * deposit seen, deposit credited): its consumers of those events have nothing pending or
 * unacknowledged and its queue holds nothing unsent.
 */
export async function waitForNotifierSettled(e2e: E2eStack, jsm: JetStreamManager, timeoutMs: number): Promise<void> {
  const durables: Array<[string, string]> = [
    [streamName(e2e.namespace, StreamBases.bot), durableName('notifier', 'track-recipient', 'user-registered')],
    [streamName(e2e.namespace, StreamBases.ledger), durableName('notifier', 'welcome', 'account-opened')],
    [streamName(e2e.namespace, StreamBases.chain), durableName('notifier', 'tell-deposit', 'deposit-events')],
  ];
  await waitFor(
    async () => {
      for (const [stream, durable] of durables) {
        const info = await jsm.consumers.info(stream, durable);
        if (info.num_pending > 0 || info.num_ack_pending > 0) return false;
      }
      return (await e2e.rows('notifier', "select id from %schema%.notifications where state in ('pending', 'sending')")).length === 0;
    },
    { timeoutMs, intervalMs: 200, description: 'the notifier settled' },
  );
}
