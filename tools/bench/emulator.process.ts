// The Bot API emulator in a process of its own, for benchmarks that judge timing by its clock.
//
// The emulator stamps each request when its process gets to it. Run inside the benchmark's own
// process, a pause of that process (garbage collection, the benchmark's bookkeeping) makes requests
// that arrived evenly look bunched, and the emulator refuses them as a burst: the instrument, not
// the sender. Telegram's servers do not pause with the client, so neither should the emulator.
import { fork, type ChildProcess } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import type { RecordedCall, SentMessage } from '@strongbox/shared-testing';

interface Request {
  readonly command: 'openChats' | 'sentMessages' | 'calls' | 'close';
  readonly chatIds?: number[];
  readonly method?: string;
}
interface Reply {
  readonly id?: number;
  readonly ok?: boolean;
  readonly result?: unknown;
  readonly error?: string;
  readonly started?: { token: string; apiRoot: string };
}

export interface EmulatorProcess {
  readonly token: string;
  readonly apiRoot: string;
  openChats(chatIds: readonly number[]): Promise<void>;
  sentMessages(): Promise<SentMessage[]>;
  calls(method: string): Promise<RecordedCall[]>;
  close(): Promise<void>;
}

const CHILD_START_TIMEOUT_MS = 30_000;

export async function startEmulatorProcess(options: { perChatPerSecond: number; globalPerSecond: number }): Promise<EmulatorProcess> {
  const child: ChildProcess = fork(fileURLToPath(new URL('./emulator.child.ts', import.meta.url)), [JSON.stringify(options)], {
    execArgv: ['--import', 'tsx'],
    stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
  });
  const pending = new Map<number, { resolve: (value: unknown) => void; reject: (error: Error) => void }>();
  let nextId = 1;
  const started = new Promise<{ token: string; apiRoot: string }>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error('the emulator process did not start in time')), CHILD_START_TIMEOUT_MS);
    child.once('exit', (code) => reject(new Error(`the emulator process exited with ${String(code)}`)));
    child.on('message', (message: Reply) => {
      if (message.started) {
        clearTimeout(timer);
        resolve(message.started);
        return;
      }
      const waiter = message.id === undefined ? undefined : pending.get(message.id);
      if (!waiter || message.id === undefined) return;
      pending.delete(message.id);
      if (message.ok) waiter.resolve(message.result);
      else waiter.reject(new Error(message.error ?? 'emulator process error'));
    });
  });
  const { token, apiRoot } = await started;

  function ask<T>(request: Request): Promise<T> {
    const id = nextId++;
    return new Promise<T>((resolve, reject) => {
      pending.set(id, { resolve: resolve as (value: unknown) => void, reject });
      child.send({ ...request, id });
    });
  }

  return {
    token,
    apiRoot,
    openChats: (chatIds) => ask<void>({ command: 'openChats', chatIds: [...chatIds] }),
    sentMessages: () => ask<SentMessage[]>({ command: 'sentMessages' }),
    calls: (method) => ask<RecordedCall[]>({ command: 'calls', method }),
    async close() {
      await ask<void>({ command: 'close' }).catch(() => undefined);
      child.kill('SIGTERM');
    },
  };
}
