// The newHeads wake-up against a private anvil: each mined block is announced, a node that goes
// away and comes back on the same port is subscribed to again by itself, and after stop() nothing
// more is announced. Nothing is mocked: anvil speaks WebSocket on its JSON-RPC port.
import { afterEach, describe, expect, it } from 'vitest';
import { pino } from 'pino';
import { startAnvil, type AnvilNode } from '@strongbox/shared-stack';
import { freePort, waitFor } from '@strongbox/shared-testing';
import { NEW_HEADS_RECONNECT_DELAY_MS_MAX, subscribeNewHeads, type NewHeadsSubscription } from '../../src/index';

const logger = pino({ level: 'silent' });
let anvil: AnvilNode | undefined;
let subscription: NewHeadsSubscription | undefined;

afterEach(async () => {
  subscription?.stop();
  await anvil?.stop();
});

async function mine(node: AnvilNode, blocks: number): Promise<void> {
  const response = await fetch(node.url, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ jsonrpc: '2.0', id: 1, method: 'anvil_mine', params: [`0x${blocks.toString(16)}`] }),
  });
  expect(response.ok).toBe(true);
}

describe('subscribeNewHeads', () => {
  it('announces every mined block, and nothing after stop()', async () => {
    anvil = await startAnvil({ port: await freePort() });
    let heads = 0;
    subscription = subscribeNewHeads({ url: anvil.url.replace('http://', 'ws://'), logger, onHead: () => (heads += 1) });
    await waitFor(() => subscription?.connected() === true, { timeoutMs: 10_000, description: 'the subscription is confirmed' });
    await mine(anvil, 3);
    await waitFor(() => heads === 3, { timeoutMs: 5_000, description: 'three heads announced' });
    subscription.stop();
    expect(subscription.connected()).toBe(false);
    await mine(anvil, 2);
    await new Promise((resolve) => setTimeout(resolve, 300));
    expect(heads).toBe(3);
  });

  it('subscribes again by itself when the node comes back on the same port', async () => {
    const port = await freePort();
    anvil = await startAnvil({ port });
    let heads = 0;
    subscription = subscribeNewHeads({ url: `ws://127.0.0.1:${port}`, logger, onHead: () => (heads += 1) });
    await waitFor(() => subscription?.connected() === true, { timeoutMs: 10_000, description: 'the first subscription' });
    await anvil.stop();
    await waitFor(() => subscription?.connected() === false, { timeoutMs: 5_000, description: 'the socket noticed the node is gone' });
    anvil = await startAnvil({ port });
    await waitFor(() => subscription?.connected() === true, { timeoutMs: NEW_HEADS_RECONNECT_DELAY_MS_MAX, description: 'subscribed again' });
    await mine(anvil, 1);
    await waitFor(() => heads === 1, { timeoutMs: 5_000, description: 'a head from the new node' });
  }, 60_000);

  it('never throws for a URL where nothing listens, and stays unsubscribed', async () => {
    subscription = subscribeNewHeads({ url: `ws://127.0.0.1:${await freePort()}`, logger, onHead: () => undefined });
    await new Promise((resolve) => setTimeout(resolve, 1_000));
    expect(subscription.connected()).toBe(false);
  });
});
