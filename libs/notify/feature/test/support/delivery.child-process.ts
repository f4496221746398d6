import { spawn, type ChildProcess } from 'node:child_process';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { TEST_DATABASE_URL, waitFor } from '@strongbox/shared-testing';
import type { DeliveryOptions } from '../../src/index';
import { FAST_DELIVERY_OPTIONS } from './delivery.harness';

const here = dirname(fileURLToPath(import.meta.url));
const root = resolve(here, '..', '..', '..', '..', '..');

export interface DeliveryChild {
  readonly logs: Array<Record<string, unknown>>;
  /** SIGKILL: no shutdown step runs, whatever is in flight stays as it is. */
  kill(): Promise<void>;
  /** SIGTERM and wait for the exit. */
  stop(): Promise<void>;
}

/** Starts the worker in its own Node.js process (delivery.child.ts) and waits until it runs. */
export async function startDeliveryChild(input: {
  namespace: string;
  token: string;
  apiRoot: string;
  redisUrl?: string;
  options?: Partial<DeliveryOptions>;
}): Promise<DeliveryChild> {
  const options: DeliveryOptions = { ...FAST_DELIVERY_OPTIONS, token: input.token, apiRoot: input.apiRoot, ...input.options };
  const config = { databaseUrl: TEST_DATABASE_URL, namespace: input.namespace, redisUrl: input.redisUrl, options };
  const child: ChildProcess = spawn(process.execPath, ['--import', 'tsx', join(here, 'delivery.child.ts')], {
    cwd: root,
    env: { ...process.env, DELIVERY_CHILD_CONFIG: JSON.stringify(config) },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const logs: Array<Record<string, unknown>> = [];
  let stderr = '';
  let buffered = '';
  child.stdout?.on('data', (chunk: Buffer) => {
    buffered += chunk.toString('utf8');
    const lines = buffered.split('\n');
    buffered = lines.pop() ?? '';
    for (const line of lines) {
      try {
        logs.push(JSON.parse(line) as Record<string, unknown>);
      } catch {
        logs.push({ msg: line });
      }
    }
  });
  child.stderr?.on('data', (chunk: Buffer) => (stderr = (stderr + chunk.toString('utf8')).slice(-4_000)));
  const exited = new Promise<void>((resolveExit) => child.once('exit', () => resolveExit()));
  await waitFor(() => logs.some((line) => line['ready'] === true) || child.exitCode !== null, { timeoutMs: 30_000, description: 'delivery child ready' });
  if (child.exitCode !== null) throw new Error(`delivery child exited with ${child.exitCode}: ${stderr}`);
  return {
    logs,
    async kill() {
      if (child.exitCode === null) child.kill('SIGKILL');
      await exited;
    },
    async stop() {
      if (child.exitCode === null) child.kill('SIGTERM');
      await exited;
    },
  };
}
