import { readdirSync, readlinkSync, rmSync } from 'node:fs';

// ---------------------------------------------------------------------------------------------
// Last-resort cleanup. Tests stop their private servers in `afterAll`; when a test process dies
// before that (a crash, a timeout that skips hooks), the `exit` hook below kills what is left and
// removes the temporary directories, so no stray redis-server or postgres outlives the run.
// ---------------------------------------------------------------------------------------------

/** Live private-server processes and their directories, removed again when stopped. */
const livePids = new Set<number>();
const liveDirectories = new Set<string>();
/** Process trees identified by working directory (PostgreSQL's postmaster and its backends). */
const liveWorkingDirectories = new Set<string>();
let hookInstalled = false;

function installExitHook(): void {
  if (hookInstalled) return;
  hookInstalled = true;
  process.once('exit', () => {
    for (const pid of livePids) killQuietly(pid);
    for (const directory of liveWorkingDirectories) {
      for (const pid of pidsWithWorkingDirectory(directory)) killQuietly(pid);
    }
    for (const directory of liveDirectories) rmSync(directory, { recursive: true, force: true });
  });
}

/** Remembers a child process to SIGKILL if the test process exits while it still runs. */
export function trackPid(pid: number): void {
  installExitHook();
  livePids.add(pid);
}

/** Forgets a child process once it has exited. */
export function untrackPid(pid: number): void {
  livePids.delete(pid);
}

/** Remembers a temporary directory to remove if the test process exits before `stop()`. */
export function trackDirectory(directory: string): void {
  installExitHook();
  liveDirectories.add(directory);
}

/** Forgets a temporary directory once `stop()` removed it. */
export function untrackDirectory(directory: string): void {
  liveDirectories.delete(directory);
}

/** Remembers a server whose processes all run in `directory` (PostgreSQL chdirs into its data dir). */
export function trackWorkingDirectory(directory: string): void {
  installExitHook();
  liveWorkingDirectories.add(directory);
}

/** Forgets a working directory once its processes are gone. */
export function untrackWorkingDirectory(directory: string): void {
  liveWorkingDirectories.delete(directory);
}

/**
 * Every process whose current directory is `directory`, read from /proc. PostgreSQL's postmaster
 * and all its children chdir into the data directory, which names the whole cluster reliably even
 * after the postmaster died and its children were re-parented.
 */
export function pidsWithWorkingDirectory(directory: string): number[] {
  const pids: number[] = [];
  let entries: string[];
  try {
    entries = readdirSync('/proc');
  } catch {
    return pids;
  }
  for (const entry of entries) {
    if (!/^[0-9]+$/.test(entry)) continue;
    try {
      if (readlinkSync(`/proc/${entry}/cwd`) === directory) pids.push(Number(entry));
    } catch {
      // The process ended, or belongs to a user we may not inspect; neither is ours.
    }
  }
  return pids;
}

/** Sends SIGKILL, ignoring a process that is already gone. */
export function killQuietly(pid: number): void {
  try {
    process.kill(pid, 'SIGKILL');
  } catch {
    // Already gone.
  }
}

/** True while a process with this pid exists (zombies included). */
export function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}
