import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { TestingError, TestingErrorCodes } from './errors';
import { ManagedProcess, SERVER_STOP_TIMEOUT_MS, probeTcp, startOnFreePort, type PrivateServer, type ProcessSpec } from './private-server.process';
import { trackDirectory, untrackDirectory } from './process.registry';

const REDIS_SERVER_COMMAND = 'redis-server';

/**
 * Starts a private, persistence-free Redis on a free loopback port:
 * `redis-server --port <free> --bind 127.0.0.1 --save "" --appendonly no`, working in its own temp
 * dir. Data does not survive `kill()` or `restart()`, like a Redis without persistence.
 *
 * @example
 * const redis = await startPrivateRedis();
 * afterAll(() => redis.stop());
 * const client = new Redis(redis.url);
 * await redis.kill();   // commands now fail
 * await redis.restart(); // and work again
 */
export async function startPrivateRedis(): Promise<PrivateServer> {
  const directory = await mkdtemp(join(tmpdir(), 'sb-redis-'));
  trackDirectory(directory);
  const spec = (port: number): ProcessSpec => ({
    name: `redis-server :${port}`,
    command: REDIS_SERVER_COMMAND,
    args: ['--port', String(port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no', '--dir', directory],
    isReady: () => probeTcp(port, { send: 'PING\r\n', expect: (received) => received.startsWith('+PONG') }),
  });
  try {
    const { port, started } = await startOnFreePort((candidate) => ManagedProcess.start(spec(candidate)));
    return privateServer({ url: `redis://127.0.0.1:${port}`, port, directory, first: started, spec: () => spec(port) });
  } catch (error) {
    await rm(directory, { recursive: true, force: true });
    untrackDirectory(directory);
    throw error;
  }
}

/** The stop/kill/restart handle shared by servers that are one child process (Redis, NATS). */
export function privateServer(input: {
  url: string;
  port: number;
  directory: string;
  first: ManagedProcess;
  spec: () => ProcessSpec;
}): PrivateServer {
  let current: ManagedProcess | undefined = input.first;
  let stopped = false;
  return {
    url: input.url,
    port: input.port,
    async stop() {
      if (stopped) return;
      stopped = true;
      await current?.signalAndWait('SIGTERM', SERVER_STOP_TIMEOUT_MS);
      current = undefined;
      await rm(input.directory, { recursive: true, force: true });
      untrackDirectory(input.directory);
    },
    async kill() {
      await current?.signalAndWait('SIGKILL', SERVER_STOP_TIMEOUT_MS);
    },
    async restart() {
      if (stopped) throw new TestingError(TestingErrorCodes.serverStop, `${input.url} was stopped for good; start a new one`);
      await current?.signalAndWait('SIGTERM', SERVER_STOP_TIMEOUT_MS);
      current = await ManagedProcess.start(input.spec());
    },
  };
}
