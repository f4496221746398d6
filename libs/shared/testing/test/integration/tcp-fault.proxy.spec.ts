// Proves the TCP fault proxy in front of a local echo server: bytes pass both ways while
// forwarding; cut() resets open connections and resets new ones without reaching the target;
// stall() accepts connections but moves nothing until restore(), after which the held bytes arrive;
// restore() after a cut forwards new connections again.
import { createServer, connect, type Server, type Socket } from 'node:net';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { TcpFaultModes, startTcpFaultProxy, waitFor, type TcpFaultProxy } from '../../src/index';

const WAIT_MS = 5_000;
/** How long "nothing arrives" is watched for; absence cannot be awaited as an event. */
const QUIET_MS = 250;

interface Client {
  readonly socket: Socket;
  received(): string;
  /** Resolves with the error code (ECONNRESET) or 'closed' when the connection ends. */
  readonly ended: Promise<string>;
}

function openClient(port: number): Client {
  const socket = connect({ host: '127.0.0.1', port });
  let received = '';
  socket.on('data', (chunk: Buffer) => {
    received += chunk.toString('utf8');
  });
  const ended = new Promise<string>((resolve) => {
    socket.once('error', (error: NodeJS.ErrnoException) => resolve(error.code ?? error.message));
    socket.once('close', () => resolve('closed'));
  });
  return { socket, received: () => received, ended };
}

let echo: Server;
let echoConnections: number;
let echoReceived: string;
let proxy: TcpFaultProxy;
const clients: Client[] = [];

beforeEach(async () => {
  echoConnections = 0;
  echoReceived = '';
  echo = createServer((socket) => {
    echoConnections += 1;
    socket.on('data', (chunk: Buffer) => {
      echoReceived += chunk.toString('utf8');
      socket.write(chunk);
    });
    socket.on('error', () => undefined);
  });
  await new Promise<void>((resolve) => echo.listen({ host: '127.0.0.1', port: 0 }, resolve));
  const address = echo.address();
  if (address === null || typeof address === 'string') throw new Error('no echo port');
  proxy = await startTcpFaultProxy({ host: '127.0.0.1', port: address.port });
});

afterEach(async () => {
  for (const client of clients.splice(0)) client.socket.destroy();
  await proxy.close();
  await new Promise((resolve) => echo.close(resolve));
});

function client(): Client {
  const opened = openClient(proxy.port);
  clients.push(opened);
  return opened;
}

describe('startTcpFaultProxy', () => {
  it('forwards both ways while forwarding', async () => {
    expect(proxy.mode).toBe(TcpFaultModes.forwarding);
    const one = client();
    one.socket.write('ping');
    await waitFor(() => one.received() === 'ping', { timeoutMs: WAIT_MS, description: 'the echo comes back' });
    expect(echoConnections).toBe(1);
  });

  it('cut() resets open connections and new ones without reaching the target; restore() forwards again', async () => {
    const open = client();
    open.socket.write('before');
    await waitFor(() => open.received() === 'before', { timeoutMs: WAIT_MS, description: 'the first echo' });

    proxy.cut();
    expect(proxy.mode).toBe(TcpFaultModes.cut);
    expect(await open.ended).toBe('ECONNRESET');

    const refused = client();
    expect(await refused.ended).toBe('ECONNRESET');
    expect(refused.received()).toBe('');
    expect(echoConnections).toBe(1);

    proxy.restore();
    const after = client();
    after.socket.write('after');
    await waitFor(() => after.received() === 'after', { timeoutMs: WAIT_MS, description: 'the echo after restore' });
    expect(echoConnections).toBe(2);
  });

  it('stall() blackholes traffic on open and new connections until restore()', async () => {
    const open = client();
    open.socket.write('a');
    await waitFor(() => open.received() === 'a', { timeoutMs: WAIT_MS, description: 'the first echo' });

    proxy.stall();
    expect(proxy.mode).toBe(TcpFaultModes.stalled);
    open.socket.write('held');
    const fresh = client();
    await new Promise<void>((resolve) => fresh.socket.once('connect', () => resolve()));
    fresh.socket.write('queued');
    await new Promise((resolve) => setTimeout(resolve, QUIET_MS));
    expect(echoReceived).toBe('a');
    expect(open.received()).toBe('a');
    expect(echoConnections).toBe(1);

    proxy.restore();
    await waitFor(() => open.received() === 'aheld' && fresh.received() === 'queued', {
      timeoutMs: WAIT_MS,
      description: 'the held bytes arrive after restore',
    });
    expect(echoConnections).toBe(2);
  });
});
