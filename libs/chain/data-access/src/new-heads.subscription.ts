import type { Logger } from 'pino';

// ---------------------------------------------------------------------------------------------
// A wake-up signal from the node: `eth_subscribe("newHeads")` over WebSocket (Node's built-in
// client). Nothing the subscription says is trusted or stored — a notification only makes the
// scanner read the chain now instead of at its next poll, through the validated JSON-RPC client.
// When the socket is down the scanner simply polls; the subscription reconnects with back-off.
// Written by hand: ethers' WebSocketProvider would bring its own polling, retries and caching, and
// all that is needed here is a trigger.
// ---------------------------------------------------------------------------------------------

/** Reconnect delays double from the first to the last. */
export const NEW_HEADS_RECONNECT_DELAY_MS_MIN = 500;
export const NEW_HEADS_RECONNECT_DELAY_MS_MAX = 30_000;
/** Largest notification accepted; a head notification is about 1 KiB. */
const MESSAGE_BYTES_MAX = 64 * 1024;
/** Time the node gets to open the socket and confirm the subscription. */
const SUBSCRIBE_TIMEOUT_MS = 5_000;

export interface NewHeadsSubscription {
  /** Whether the subscription is confirmed and the socket open. */
  connected(): boolean;
  stop(): void;
}

/**
 * Calls `onHead` whenever the node at `url` (ws:// or wss://) announces a new head, for as long as
 * the subscription runs. Never throws: failures are logged and retried.
 */
export function subscribeNewHeads(options: { url: string; logger: Logger; onHead: () => void }): NewHeadsSubscription {
  let socket: WebSocket | undefined;
  let subscribed = false;
  let stopped = false;
  let delayMs = NEW_HEADS_RECONNECT_DELAY_MS_MIN;
  let reconnectTimer: NodeJS.Timeout | undefined;
  let subscribeTimer: NodeJS.Timeout | undefined;

  const scheduleReconnect = (): void => {
    if (stopped || reconnectTimer) return;
    reconnectTimer = setTimeout(() => {
      reconnectTimer = undefined;
      connect();
    }, delayMs);
    reconnectTimer.unref();
    delayMs = Math.min(delayMs * 2, NEW_HEADS_RECONNECT_DELAY_MS_MAX);
  };

  const connect = (): void => {
    if (stopped) return;
    let current: WebSocket;
    try {
      current = new WebSocket(options.url);
    } catch (error) {
      options.logger.warn({ err: error }, 'new heads subscription: cannot open the socket; polling only');
      scheduleReconnect();
      return;
    }
    socket = current;
    subscribeTimer = setTimeout(() => {
      if (!subscribed) current.close();
    }, SUBSCRIBE_TIMEOUT_MS);
    subscribeTimer.unref();
    current.addEventListener('open', () => {
      current.send(JSON.stringify({ jsonrpc: '2.0', id: 1, method: 'eth_subscribe', params: ['newHeads'] }));
    });
    current.addEventListener('message', (message: MessageEvent) => {
      if (typeof message.data !== 'string' || message.data.length > MESSAGE_BYTES_MAX) return;
      let body: unknown;
      try {
        body = JSON.parse(message.data);
      } catch {
        return;
      }
      if (typeof body !== 'object' || body === null) return;
      const reply = body as { id?: unknown; result?: unknown; method?: unknown };
      if (reply.id === 1 && typeof reply.result === 'string') {
        subscribed = true;
        delayMs = NEW_HEADS_RECONNECT_DELAY_MS_MIN;
        options.logger.info('new heads subscription: confirmed');
        return;
      }
      if (subscribed && reply.method === 'eth_subscription') options.onHead();
    });
    current.addEventListener('close', () => {
      clearTimeout(subscribeTimer);
      if (socket === current) {
        socket = undefined;
        if (subscribed) options.logger.warn('new heads subscription: the socket closed; polling until it is back');
        subscribed = false;
      }
      scheduleReconnect();
    });
    // An 'error' is followed by 'close', which reconnects.
    current.addEventListener('error', () => undefined);
  };

  connect();
  return {
    connected: () => subscribed,
    stop: () => {
      stopped = true;
      clearTimeout(reconnectTimer);
      clearTimeout(subscribeTimer);
      socket?.close();
      socket = undefined;
      subscribed = false;
    },
  };
}
