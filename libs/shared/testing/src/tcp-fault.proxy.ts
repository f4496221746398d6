import { connect, createServer, type Server, type Socket } from 'node:net';
import { TestingError, TestingErrorCodes } from './errors';

/** What the proxy does with traffic right now. */
export const TcpFaultModes = {
  /** Bytes flow both ways. */
  forwarding: 'forwarding',
  /** Every connection is reset, new ones too: the server is unreachable. */
  cut: 'cut',
  /** Connections are accepted but nothing moves either way: a hung server. */
  stalled: 'stalled',
} as const;
export type TcpFaultMode = (typeof TcpFaultModes)[keyof typeof TcpFaultModes];

/** A loopback TCP proxy in front of a real server, for network-fault tests. */
export interface TcpFaultProxy {
  /** Where clients connect instead of the target: 127.0.0.1. */
  readonly host: string;
  readonly port: number;
  readonly mode: TcpFaultMode;
  /** Resets every open connection and refuses (resets) new ones until `restore()`. */
  cut(): void;
  /** Forwards again; connections held by `stall()` resume, with nothing they sent lost. */
  restore(): void;
  /** Keeps accepting, but forwards nothing either way until `restore()`, like a hung server. */
  stall(): void;
  /** Closes the listener and every connection. */
  close(): Promise<void>;
}

/** Connections the proxy holds at once; more are reset (a test never needs that many). */
export const PROXY_CONNECTIONS_MAX = 512;
/** How long connecting to the target may take before the client connection is dropped. */
const TARGET_CONNECT_TIMEOUT_MS = 5_000;

interface ProxiedConnection {
  readonly client: Socket;
  target: Socket | undefined;
}

/**
 * Starts a TCP proxy on a free loopback port that forwards to `target` and can cut or stall the
 * traffic on demand. Point a client at `proxy.port` instead of the server's own port.
 *
 * @example
 * const proxy = await startTcpFaultProxy({ host: '127.0.0.1', port: 6379 });
 * const redis = new Redis({ host: proxy.host, port: proxy.port });
 * proxy.cut();     // commands fail with connection errors
 * proxy.restore(); // and recover
 */
export async function startTcpFaultProxy(target: { host: string; port: number }): Promise<TcpFaultProxy> {
  const connections = new Set<ProxiedConnection>();
  let mode: TcpFaultMode = TcpFaultModes.forwarding;

  const drop = (connection: ProxiedConnection): void => {
    connections.delete(connection);
    connection.client.destroy();
    connection.target?.destroy();
  };

  const reset = (connection: ProxiedConnection): void => {
    connections.delete(connection);
    // A reset, not a polite close: a client sees ECONNRESET, as when a server vanishes.
    if (!connection.client.destroyed) connection.client.resetAndDestroy();
    connection.target?.destroy();
  };

  const link = (connection: ProxiedConnection): void => {
    const { client } = connection;
    if (connection.target === undefined) {
      const targetSocket = connect({ host: target.host, port: target.port });
      connection.target = targetSocket;
      targetSocket.setTimeout(TARGET_CONNECT_TIMEOUT_MS, () => drop(connection));
      targetSocket.once('connect', () => targetSocket.setTimeout(0));
      targetSocket.on('error', () => drop(connection));
      targetSocket.on('close', () => drop(connection));
    }
    client.pipe(connection.target);
    connection.target.pipe(client);
  };

  const hold = (connection: ProxiedConnection): void => {
    connection.client.unpipe();
    connection.target?.unpipe();
    connection.client.pause();
    connection.target?.pause();
  };

  const server: Server = createServer((client) => {
    const connection: ProxiedConnection = { client, target: undefined };
    client.on('error', () => drop(connection));
    client.on('close', () => drop(connection));
    if (mode === TcpFaultModes.cut || connections.size >= PROXY_CONNECTIONS_MAX) {
      reset(connection);
      return;
    }
    connections.add(connection);
    if (mode === TcpFaultModes.stalled) {
      // The target is not even contacted: to the client this is a server that accepted and froze.
      client.pause();
      return;
    }
    link(connection);
  });

  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen({ host: '127.0.0.1', port: 0 }, () => {
      server.off('error', reject);
      resolve();
    });
  });
  const address = server.address();
  if (address === null || typeof address === 'string') {
    server.close();
    throw new TestingError(TestingErrorCodes.serverStart, 'could not read the port of the fault proxy');
  }

  return {
    host: '127.0.0.1',
    port: address.port,
    get mode() {
      return mode;
    },
    cut() {
      mode = TcpFaultModes.cut;
      for (const connection of [...connections]) reset(connection);
    },
    restore() {
      const previous = mode;
      mode = TcpFaultModes.forwarding;
      if (previous !== TcpFaultModes.stalled) return;
      for (const connection of connections) link(connection);
    },
    stall() {
      if (mode === TcpFaultModes.stalled) return;
      mode = TcpFaultModes.stalled;
      for (const connection of connections) hold(connection);
    },
    async close() {
      for (const connection of [...connections]) drop(connection);
      if (!server.listening) return;
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}
