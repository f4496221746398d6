import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ManagedProcess, probeTcp, startOnFreePort, type PrivateServer, type ProcessSpec } from './private-server.process';
import { privateServer } from './private-redis.server';
import { trackDirectory, untrackDirectory } from './process.registry';

const NATS_SERVER_COMMAND = '/usr/sbin/nats-server';

/** Options of `startPrivateNats`. */
export interface PrivateNatsOptions {
  /** Enables JetStream with a store dir under the server's temp dir; defaults to true. */
  jetstream?: boolean;
}

/**
 * Starts a private NATS server on a free loopback port:
 * `nats-server -a 127.0.0.1 -p <free> -js -sd <tmp dir>`. `restart()` keeps the store dir, so
 * streams and their messages survive a kill like on a real server; `stop()` removes it.
 *
 * @example
 * const nats = await startPrivateNats();
 * afterAll(() => nats.stop());
 * const nc = await connect({ servers: nats.url });
 */
export async function startPrivateNats(options: PrivateNatsOptions = {}): Promise<PrivateServer> {
  const jetstream = options.jetstream ?? true;
  const directory = await mkdtemp(join(tmpdir(), 'sb-nats-'));
  trackDirectory(directory);
  const spec = (port: number): ProcessSpec => ({
    name: `nats-server :${port}`,
    command: NATS_SERVER_COMMAND,
    args: ['-a', '127.0.0.1', '-p', String(port), ...(jetstream ? ['-js', '-sd', directory] : [])],
    // The server greets every client with INFO; with JetStream on, INFO says so only once the
    // JetStream subsystem is up, which is what the tests need before they create streams.
    isReady: () =>
      probeTcp(port, {
        expect: (received) => received.startsWith('INFO ') && received.includes('\r\n') && (!jetstream || received.includes('"jetstream":true')),
      }),
  });
  try {
    const { port, started } = await startOnFreePort((candidate) => ManagedProcess.start(spec(candidate)));
    return privateServer({ url: `nats://127.0.0.1:${port}`, port, directory, first: started, spec: () => spec(port) });
  } catch (error) {
    await rm(directory, { recursive: true, force: true });
    untrackDirectory(directory);
    throw error;
  }
}
