import { spawn, type ChildProcess } from 'node:child_process';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';

/** Time anvil gets to answer its first JSON-RPC call. */
const ANVIL_START_TIMEOUT_MS = 20_000;

export interface AnvilNode {
  readonly url: string;
  readonly port: number;
  readonly chainId: number;
  readonly process: ChildProcess;
  stop(): Promise<void>;
}

/** Path of the anvil binary shipped by the npm package `@foundry-rs/anvil-linux-amd64`. */
export function anvilBinaryPath(): string {
  const require = createRequire(import.meta.url);
  return join(dirname(require.resolve('@foundry-rs/anvil-linux-amd64/package.json')), 'bin', 'anvil');
}

/** Asks a JSON-RPC endpoint for its head block; resolves to `undefined` when it does not answer. */
export async function rpcBlockNumber(url: string, timeoutMs: number): Promise<number | undefined> {
  try {
    const response = await fetch(url, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ jsonrpc: '2.0', id: 1, method: 'eth_blockNumber', params: [] }),
      signal: AbortSignal.timeout(timeoutMs),
    });
    const body = (await response.json()) as { result?: string };
    return body.result === undefined ? undefined : Number.parseInt(body.result, 16);
  } catch {
    return undefined;
  }
}

/** Starts a private anvil on `port` and waits until it answers JSON-RPC. */
export async function startAnvil(options: { port: number; chainId?: number; blockTimeS?: number }): Promise<AnvilNode> {
  const chainId = options.chainId ?? 31337;
  const args = ['--host', '127.0.0.1', '--port', String(options.port), '--chain-id', String(chainId), '--silent'];
  if (options.blockTimeS !== undefined) args.push('--block-time', String(options.blockTimeS));
  const child = spawn(anvilBinaryPath(), args, { stdio: ['ignore', 'ignore', 'pipe'] });
  let stderr = '';
  child.stderr?.on('data', (chunk: Buffer) => {
    stderr = (stderr + chunk.toString()).slice(-4_000);
  });
  const url = `http://127.0.0.1:${options.port}`;
  const deadline = Date.now() + ANVIL_START_TIMEOUT_MS;
  while ((await rpcBlockNumber(url, 1_000)) === undefined) {
    if (child.exitCode !== null || Date.now() > deadline) {
      child.kill('SIGKILL');
      throw new Error(`anvil did not start on port ${options.port}: ${stderr || `exit code ${child.exitCode}`}`);
    }
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  return {
    url,
    port: options.port,
    chainId,
    process: child,
    stop: () => stopChild(child, 5_000),
  };
}

/** Sends SIGTERM, then SIGKILL after `graceMs`; resolves when the process has exited. */
export async function stopChild(child: ChildProcess, graceMs: number): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  child.kill('SIGTERM');
  const timer = setTimeout(() => child.kill('SIGKILL'), graceMs);
  await exited;
  clearTimeout(timer);
}
