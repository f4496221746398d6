import { execFile } from 'node:child_process';
import { chown, mkdir, mkdtemp, readFile, readdir, realpath, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { TestingError, TestingErrorCodes } from './errors';
import { SERVER_READY_TIMEOUT_MS, SERVER_STOP_TIMEOUT_MS, canConnect, startOnFreePort, type PrivateServer } from './private-server.process';
import {
  killQuietly,
  pidsWithWorkingDirectory,
  trackDirectory,
  trackWorkingDirectory,
  untrackDirectory,
  untrackWorkingDirectory,
} from './process.registry';

const execFileAsync = promisify(execFile);

const POSTGRES_BIN_DIR = '/usr/lib/postgresql/15/bin';
const POSTGRES_OS_USER = 'postgres';
/** initdb writes a whole cluster; on a busy two-core machine that can take several seconds. */
const INITDB_TIMEOUT_MS = 60_000;
const POLL_INTERVAL_MS = 50;
const LOG_TAIL_CHARS_MAX = 4_000;

/**
 * Server settings for a throwaway cluster. Durability against an operating-system crash is traded
 * for speed (no fsync, no full-page writes), because the data only lives as long as one test file.
 * Durability against a killed server is kept: synchronous_commit stays on, so a commit is
 * acknowledged only once its WAL is in the kernel, and crash recovery after `kill()` finds every
 * acknowledged transaction — which is what failure tests assert.
 */
const SERVER_SETTINGS = [
  'listen_addresses=127.0.0.1',
  'fsync=off',
  'full_page_writes=off',
  'max_connections=40',
  'shared_buffers=16MB',
] as const;

/**
 * Starts a throwaway PostgreSQL 15 cluster on a free loopback port: initdb (trust auth) and pg_ctl,
 * run as the `postgres` OS user because PostgreSQL refuses to run as root. The data dir and the
 * unix socket live in a temp dir owned by `postgres`, removed by `stop()`. `kill()` SIGKILLs the
 * postmaster and every backend; `restart()` runs crash recovery on the same data.
 *
 * @example
 * const pg = await startPrivatePostgres();
 * afterAll(() => pg.stop());
 * const sql = postgres(pg.url);
 */
export async function startPrivatePostgres(): Promise<PrivateServer> {
  const directory = await realpath(await mkdtemp(join(tmpdir(), 'sb-pg-')));
  trackDirectory(directory);
  const dataDirectory = join(directory, 'data');
  const logFile = join(directory, 'postgres.log');
  let stopped = false;

  try {
    await handToPostgresUser(directory);
    await runAsPostgres(
      `${POSTGRES_BIN_DIR}/initdb`,
      ['-D', dataDirectory, '--auth=trust', `--username=${POSTGRES_OS_USER}`, '--encoding=UTF8', '--locale=C', '--no-sync'],
      INITDB_TIMEOUT_MS,
    );
  } catch (error) {
    await rm(directory, { recursive: true, force: true });
    untrackDirectory(directory);
    throw new TestingError(TestingErrorCodes.serverStart, `initdb failed: ${describeExecError(error)}`, { cause: error });
  }

  const start = async (port: number): Promise<void> => {
    trackWorkingDirectory(dataDirectory);
    const settings = [`-p ${port}`, `-k ${directory}`, ...SERVER_SETTINGS.map((setting) => `-c ${setting}`)].join(' ');
    const waitSeconds = Math.ceil(SERVER_READY_TIMEOUT_MS / 1000);
    try {
      await runAsPostgres(
        `${POSTGRES_BIN_DIR}/pg_ctl`,
        ['-D', dataDirectory, '-l', logFile, '-w', '-t', String(waitSeconds), '-o', settings, 'start'],
        SERVER_READY_TIMEOUT_MS + SERVER_STOP_TIMEOUT_MS,
      );
    } catch (error) {
      // A postmaster that lost the race for the port may still be starting up; make sure it is gone.
      await killCluster(dataDirectory, directory);
      throw new TestingError(TestingErrorCodes.serverStart, `pg_ctl start on port ${port} failed: ${describeExecError(error)}: ${await logTail(logFile)}`, {
        cause: error,
      });
    }
    if (!(await canConnect(port))) {
      throw new TestingError(TestingErrorCodes.serverStart, `postgres on port ${port} does not accept connections`);
    }
  };

  const gracefulStop = async (): Promise<void> => {
    if (pidsWithWorkingDirectory(dataDirectory).length === 0) return;
    try {
      await runAsPostgres(
        `${POSTGRES_BIN_DIR}/pg_ctl`,
        ['-D', dataDirectory, '-m', 'fast', '-w', '-t', String(Math.ceil(SERVER_STOP_TIMEOUT_MS / 1000)), 'stop'],
        SERVER_STOP_TIMEOUT_MS * 2,
      );
    } catch {
      // pg_ctl could not stop it in time; the kill below ends it either way.
    }
    await killCluster(dataDirectory, directory);
  };

  let port: number;
  try {
    ({ port } = await startOnFreePort(start));
  } catch (error) {
    await killCluster(dataDirectory, directory);
    untrackWorkingDirectory(dataDirectory);
    await rm(directory, { recursive: true, force: true });
    untrackDirectory(directory);
    throw error;
  }

  return {
    url: `postgres://${POSTGRES_OS_USER}@127.0.0.1:${port}/postgres`,
    port,
    async stop() {
      if (stopped) return;
      stopped = true;
      await gracefulStop();
      untrackWorkingDirectory(dataDirectory);
      await rm(directory, { recursive: true, force: true });
      untrackDirectory(directory);
    },
    async kill() {
      await killCluster(dataDirectory, directory);
    },
    async restart() {
      if (stopped) throw new TestingError(TestingErrorCodes.serverStop, `postgres on port ${port} was stopped for good; start a new one`);
      await gracefulStop();
      await start(port);
    },
  };
}

/**
 * SIGKILLs every process of the cluster (postmaster and backends, found by their working
 * directory) and waits until all are gone, so a restart finds no process still attached to the
 * old shared memory. Then it removes the stale lock files: a killed postmaster is re-parented
 * to PID 1, and where PID 1 does not reap orphans promptly (a container's init), it lingers as a
 * zombie whose pid still exists, so the next postmaster would refuse to start with "lock file
 * already exists". A zombie has no working directory, so it no longer counts as a cluster process.
 */
async function killCluster(dataDirectory: string, socketDirectory: string): Promise<void> {
  const deadline = Date.now() + SERVER_STOP_TIMEOUT_MS;
  for (;;) {
    const pids = pidsWithWorkingDirectory(dataDirectory);
    if (pids.length === 0) {
      await removeStaleLockFiles(dataDirectory, socketDirectory);
      return;
    }
    if (Date.now() > deadline) {
      throw new TestingError(TestingErrorCodes.serverStop, `postgres processes ${pids.join(', ')} did not exit after SIGKILL`);
    }
    for (const pid of pids) killQuietly(pid);
    await new Promise((resolve) => setTimeout(resolve, POLL_INTERVAL_MS));
  }
}

/**
 * Removes `postmaster.pid` and the unix socket's `.s.PGSQL.<port>.lock` (with the socket itself),
 * which a postmaster leaves behind when it is killed. Only called once no process of the cluster
 * is left, so nothing still owns them.
 */
async function removeStaleLockFiles(dataDirectory: string, socketDirectory: string): Promise<void> {
  await rm(join(dataDirectory, 'postmaster.pid'), { force: true });
  let entries: string[];
  try {
    entries = await readdir(socketDirectory);
  } catch {
    return;
  }
  for (const entry of entries) {
    if (entry.startsWith('.s.PGSQL.')) await rm(join(socketDirectory, entry), { force: true });
  }
}

async function handToPostgresUser(directory: string): Promise<void> {
  if (process.getuid?.() !== 0) return;
  const { stdout } = await execFileAsync('id', ['-u', POSTGRES_OS_USER], { timeout: 5_000 });
  const { stdout: groupOut } = await execFileAsync('id', ['-g', POSTGRES_OS_USER], { timeout: 5_000 });
  await mkdir(directory, { recursive: true });
  await chown(directory, Number(stdout.trim()), Number(groupOut.trim()));
}

/** Runs a PostgreSQL tool as the `postgres` OS user when the test runs as root, else as itself. */
async function runAsPostgres(command: string, args: readonly string[], timeoutMs: number): Promise<void> {
  const asRoot = process.getuid?.() === 0;
  const [file, fileArgs] = asRoot ? ['runuser', ['-u', POSTGRES_OS_USER, '--', command, ...args]] : [command, [...args]];
  await execFileAsync(file, fileArgs, { timeout: timeoutMs, killSignal: 'SIGKILL' });
}

function describeExecError(error: unknown): string {
  if (error instanceof Error) {
    const stderr = (error as Error & { stderr?: unknown }).stderr;
    return `${error.message}${typeof stderr === 'string' && stderr !== '' ? `: ${stderr.trim()}` : ''}`.slice(-LOG_TAIL_CHARS_MAX);
  }
  return String(error);
}

async function logTail(logFile: string): Promise<string> {
  try {
    return (await readFile(logFile, 'utf8')).slice(-LOG_TAIL_CHARS_MAX);
  } catch {
    return '(no server log)';
  }
}
