import { spawn, type ChildProcess } from 'node:child_process';
import { join } from 'node:path';
import { stopChild } from './anvil';

/** The five services, in the order they are started. */
export const SERVICE_NAMES = ['ledger', 'notifier', 'admin-audit', 'chain-watcher', 'bot-gateway'] as const;
export type ServiceName = (typeof SERVICE_NAMES)[number];

/** Lines of output kept per process, for a test's failure message. */
const LOG_LINES_MAX = 2_000;

export interface ServiceProcess {
  readonly name: ServiceName;
  readonly opsUrl: string;
  readonly pid: number | undefined;
  /** Spawns the process (again, after it exited). */
  start(): void;
  /** Sends `signal` and resolves with how the process ended. */
  kill(signal: NodeJS.Signals): Promise<ProcessExit>;
  /** SIGTERM, then SIGKILL after `graceMs`. */
  stop(graceMs: number): Promise<ProcessExit>;
  /** Resolves when the current process exits. */
  exited(): Promise<ProcessExit>;
  logs(): readonly string[];
}

export interface ProcessExit {
  readonly code: number | null;
  readonly signal: NodeJS.Signals | null;
}

/**
 * Runs one built service (`dist/apps/<name>/main.js`) as a child process with the given
 * environment, keeping its output lines and passing each to `onLine`.
 */
export function createServiceProcess(options: {
  name: ServiceName;
  distDir: string;
  env: Record<string, string>;
  opsPort: number;
  onLine?: (service: ServiceName, line: string) => void;
}): ServiceProcess {
  const lines: string[] = [];
  let child: ChildProcess | undefined;
  let exit: Promise<ProcessExit> = Promise.resolve({ code: null, signal: null });

  const keep = (chunk: Buffer, rest: { text: string }) => {
    const parts = (rest.text + chunk.toString()).split('\n');
    rest.text = parts.pop() ?? '';
    for (const line of parts) {
      lines.push(line);
      if (lines.length > LOG_LINES_MAX) lines.shift();
      options.onLine?.(options.name, line);
    }
  };

  const service: ServiceProcess = {
    name: options.name,
    opsUrl: `http://127.0.0.1:${options.opsPort}`,
    get pid() {
      return child?.pid;
    },
    start() {
      if (child && child.exitCode === null && child.signalCode === null) throw new Error(`${options.name} is already running`);
      const spawned = spawn(process.execPath, ['--enable-source-maps', join(options.distDir, options.name, 'main.js')], {
        env: { ...options.env, OPS_PORT: String(options.opsPort), OPS_HOST: '127.0.0.1' },
        stdio: ['ignore', 'pipe', 'pipe'],
      });
      const out = { text: '' };
      const err = { text: '' };
      spawned.stdout?.on('data', (chunk: Buffer) => keep(chunk, out));
      spawned.stderr?.on('data', (chunk: Buffer) => keep(chunk, err));
      exit = new Promise((resolve) => spawned.once('exit', (code, signal) => resolve({ code, signal })));
      child = spawned;
    },
    async kill(signal) {
      if (!child || child.exitCode !== null || child.signalCode !== null) return exit;
      child.kill(signal);
      return exit;
    },
    async stop(graceMs) {
      if (child) await stopChild(child, graceMs);
      return exit;
    },
    exited: () => exit,
    logs: () => lines,
  };
  return service;
}

/** Polls `<opsUrl>/readyz` until it answers 200; throws with the last answer after `timeoutMs`. */
export async function waitUntilReady(service: ServiceProcess, timeoutMs: number): Promise<number> {
  const startedAt = Date.now();
  let last = 'no answer';
  while (Date.now() - startedAt < timeoutMs) {
    try {
      const response = await fetch(`${service.opsUrl}/readyz`, { signal: AbortSignal.timeout(2_000) });
      if (response.status === 200) return Date.now() - startedAt;
      last = `${response.status} ${await response.text()}`;
    } catch (error) {
      last = error instanceof Error ? error.message : String(error);
    }
    await new Promise((resolve) => setTimeout(resolve, 200));
  }
  throw new Error(`${service.name} not ready after ${timeoutMs} ms: ${last}\n${service.logs().slice(-30).join('\n')}`);
}
