// Proves that every service refuses to start on a bad environment: run as a real process (the built
// bundle) with required variables missing and others malformed, it exits 1 and names every problem at
// once, without echoing a secret's value and without touching any server.
import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { SERVICE_NAMES, type ServiceName } from '@strongbox/shared-stack';

const distDir = fileURLToPath(new URL('../../dist/apps', import.meta.url));
const SECRET = 'postgres://strongbox:do-not-print-me@127.0.0.1:1/x';

function run(service: ServiceName, env: Record<string, string>): Promise<{ code: number | null; stderr: string; stdout: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [`${distDir}/${service}/main.js`], { env: { PATH: process.env['PATH'] ?? '', ...env } });
    let stderr = '';
    let stdout = '';
    child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
    child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error(`${service} did not exit on a bad config within 10 s:\n${stdout}\n${stderr}`));
    }, 10_000);
    child.once('exit', (code) => {
      clearTimeout(timer);
      resolve({ code, stderr, stdout });
    });
  });
}

/** Variables each service requires that have no default. */
const REQUIRED: Record<ServiceName, string[]> = {
  'bot-gateway': ['DATABASE_URL', 'BOT_TOKEN'],
  ledger: ['DATABASE_URL'],
  'chain-watcher': ['DATABASE_URL', 'CHAIN_RPC_URL'],
  notifier: ['DATABASE_URL', 'BOT_TOKEN'],
  'admin-audit': ['DATABASE_URL'],
};

describe('config validation at start', () => {
  it.each(SERVICE_NAMES)('%s exits 1 naming every missing required variable', async (service) => {
    const result = await run(service, {});
    expect(result.code).toBe(1);
    for (const name of REQUIRED[service]) expect(result.stderr).toContain(name);
  });

  it.each(SERVICE_NAMES)('%s exits 1 naming every malformed variable, without echoing secrets', async (service) => {
    const result = await run(service, {
      DATABASE_URL: SECRET,
      BOT_TOKEN: 'not-a-token',
      OPS_PORT: '70000',
      LOG_LEVEL: 'loud',
      STRONGBOX_NAMESPACE: 'Bad-Namespace',
      SHUTDOWN_TIMEOUT_MS: '1e3',
      CHAIN_RPC_URL: 'not a url',
    });
    expect(result.code).toBe(1);
    for (const name of ['OPS_PORT', 'LOG_LEVEL', 'STRONGBOX_NAMESPACE', 'SHUTDOWN_TIMEOUT_MS']) expect(result.stderr).toContain(name);
    if (service === 'chain-watcher') expect(result.stderr).toContain('CHAIN_RPC_URL');
    expect(result.stderr + result.stdout).not.toContain('do-not-print-me');
  });
});
