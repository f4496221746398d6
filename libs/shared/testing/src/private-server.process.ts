import { spawn, type ChildProcess } from 'node:child_process';
import { connect } from 'node:net';
import { TestingError, TestingErrorCodes } from './errors';
import { freePort } from './isolation';
import { trackPid, untrackPid } from './process.registry';

/**
 * A server process a test owns alone, for failure tests: kill it, see clients fail, restart it on
 * the same port, see them recover. The shared servers are never touched.
 */
export interface PrivateServer {
  /** Connection URL for the server's own client library. */
  readonly url: string;
  readonly port: number;
  /** Stops the server gracefully and removes its temporary files; safe to call more than once. */
  stop(): Promise<void>;
  /** SIGKILLs the server (no shutdown work, connections drop); `restart()` brings it back. */
  kill(): Promise<void>;
  /** Stops the server gracefully if it runs, then starts it again on the same port and waits until ready. */
  restart(): Promise<void>;
}

/** How long a private server may take to accept connections after it was spawned. */
export const SERVER_READY_TIMEOUT_MS = 20_000;
/** How long a graceful stop may take before the process is SIGKILLed. */
export const SERVER_STOP_TIMEOUT_MS = 10_000;
/** Fresh ports tried when the first one was taken between `freePort()` and the bind. */
const START_ATTEMPTS_MAX = 3;
/** Output kept from a server for error messages; older output is dropped. */
const OUTPUT_TAIL_CHARS_MAX = 4_000;
const READY_PROBE_INTERVAL_MS = 50;
const READY_PROBE_TIMEOUT_MS = 1_000;

/** What to run and how to tell that it is ready. */
export interface ProcessSpec {
  /** For messages: `redis-server`. */
  readonly name: string;
  readonly command: string;
  readonly args: readonly string[];
  /** Resolves true once the server answers on its port. */
  readonly isReady: () => Promise<boolean>;
}

/** One running (or exited) child process, with the tail of its output kept for diagnostics. */
export class ManagedProcess {
  private outputTail = '';
  private readonly exited: Promise<void>;
  private exitDescription: string | undefined;

  private constructor(
    readonly spec: ProcessSpec,
    private readonly child: ChildProcess,
  ) {
    const keep = (chunk: Buffer): void => {
      this.outputTail = (this.outputTail + chunk.toString('utf8')).slice(-OUTPUT_TAIL_CHARS_MAX);
    };
    child.stdout?.on('data', keep);
    child.stderr?.on('data', keep);
    this.exited = new Promise((resolve) => {
      child.once('error', (error) => {
        this.exitDescription = `could not run ${spec.command}: ${error.message}`;
        resolve();
      });
      child.once('exit', (code, signal) => {
        this.exitDescription = signal === null ? `exited with code ${code}` : `was killed by ${signal}`;
        if (child.pid !== undefined) untrackPid(child.pid);
        resolve();
      });
    });
  }

  /** Spawns the process and waits until `spec.isReady()` says yes, it exits, or the deadline passes. */
  static async start(spec: ProcessSpec): Promise<ManagedProcess> {
    const child = spawn(spec.command, [...spec.args], { stdio: ['ignore', 'pipe', 'pipe'] });
    if (child.pid !== undefined) trackPid(child.pid);
    const managed = new ManagedProcess(spec, child);
    const deadline = Date.now() + SERVER_READY_TIMEOUT_MS;
    while (Date.now() < deadline) {
      if (managed.exitDescription !== undefined) {
        throw new TestingError(TestingErrorCodes.serverStart, `${spec.name} ${managed.exitDescription} before it was ready: ${managed.outputTail}`);
      }
      if (await spec.isReady()) return managed;
      await new Promise((resolve) => setTimeout(resolve, READY_PROBE_INTERVAL_MS));
    }
    await managed.signalAndWait('SIGKILL', SERVER_STOP_TIMEOUT_MS);
    throw new TestingError(
      TestingErrorCodes.serverStart,
      `${spec.name} was not ready within ${SERVER_READY_TIMEOUT_MS} ms: ${managed.outputTail}`,
    );
  }

  get running(): boolean {
    return this.exitDescription === undefined;
  }

  get output(): string {
    return this.outputTail;
  }

  /** Sends `signal` and waits for the exit; escalates to SIGKILL when `timeoutMs` passes. */
  async signalAndWait(signal: NodeJS.Signals, timeoutMs: number): Promise<void> {
    if (!this.running) return;
    this.child.kill(signal);
    if (await this.exitedWithin(timeoutMs)) return;
    this.child.kill('SIGKILL');
    if (await this.exitedWithin(SERVER_STOP_TIMEOUT_MS)) return;
    throw new TestingError(TestingErrorCodes.serverStop, `${this.spec.name} (pid ${this.child.pid}) did not exit after SIGKILL`);
  }

  private async exitedWithin(timeoutMs: number): Promise<boolean> {
    let timer: NodeJS.Timeout | undefined;
    const timedOut = new Promise<false>((resolve) => {
      timer = setTimeout(() => resolve(false), timeoutMs);
    });
    try {
      return await Promise.race([this.exited.then(() => true as const), timedOut]);
    } finally {
      clearTimeout(timer);
    }
  }
}

/**
 * Starts a server on a fresh port, trying another port when the first was taken in the meantime
 * (another test may bind a port between `freePort()` and the server's own bind).
 */
export async function startOnFreePort<T>(start: (port: number) => Promise<T>): Promise<{ port: number; started: T }> {
  let lastError: unknown;
  for (let attempt = 1; attempt <= START_ATTEMPTS_MAX; attempt += 1) {
    const port = await freePort();
    try {
      return { port, started: await start(port) };
    } catch (error) {
      lastError = error;
    }
  }
  throw new TestingError(TestingErrorCodes.serverStart, `no attempt out of ${START_ATTEMPTS_MAX} started: ${String(lastError)}`, {
    cause: lastError,
  });
}

/**
 * Connects to 127.0.0.1:`port`, optionally sends `send`, and resolves true once the received text
 * satisfies `expect`; false on any error, close or after READY_PROBE_TIMEOUT_MS.
 */
export async function probeTcp(port: number, options: { send?: string; expect: (received: string) => boolean }): Promise<boolean> {
  return await new Promise<boolean>((resolve) => {
    let received = '';
    let settled = false;
    const socket = connect({ host: '127.0.0.1', port });
    const finish = (ready: boolean): void => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      socket.destroy();
      resolve(ready);
    };
    const timer = setTimeout(() => finish(false), READY_PROBE_TIMEOUT_MS);
    socket.once('connect', () => {
      if (options.send !== undefined) socket.write(options.send);
    });
    socket.on('data', (chunk: Buffer) => {
      received += chunk.toString('utf8');
      if (options.expect(received)) finish(true);
    });
    socket.once('error', () => finish(false));
    socket.once('close', () => finish(false));
  });
}

/** Resolves true when a TCP connection to 127.0.0.1:`port` opens within READY_PROBE_TIMEOUT_MS. */
export async function canConnect(port: number): Promise<boolean> {
  return await new Promise<boolean>((resolve) => {
    const socket = connect({ host: '127.0.0.1', port });
    const finish = (connected: boolean): void => {
      clearTimeout(timer);
      socket.destroy();
      resolve(connected);
    };
    const timer = setTimeout(() => finish(false), READY_PROBE_TIMEOUT_MS);
    socket.once('connect', () => finish(true));
    socket.once('error', () => finish(false));
  });
}
