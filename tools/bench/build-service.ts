import { spawn } from 'node:child_process';
import { join } from 'node:path';

const BUILD_TIMEOUT_MS = 180_000;

/**
 * `npm run build -- <app>`: one service's bundle only, so the other bundles (which running processes
 * may be using) are left alone. Run as a child (tools/build is not a library the benches may import)
 * with its output on stderr: stdout carries only a benchmark's results.
 */
export async function buildService(root: string, app: string): Promise<void> {
  await new Promise<void>((resolve, reject) => {
    const child = spawn(process.execPath, ['--import', 'tsx', join(root, 'tools', 'build', 'build.ts'), app], { cwd: root, stdio: ['ignore', 2, 2] });
    const timer = setTimeout(() => child.kill('SIGTERM'), BUILD_TIMEOUT_MS);
    child.once('error', (error) => {
      clearTimeout(timer);
      reject(error);
    });
    child.once('exit', (code, signal) => {
      clearTimeout(timer);
      if (code === 0) resolve();
      else reject(new Error(`building the ${app} failed (exit code ${code}, signal ${signal})`));
    });
  });
}
