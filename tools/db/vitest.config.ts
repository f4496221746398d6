import { defineProject } from 'vitest/config';

// drizzle-kit runs as a child process for each data-access lib, a few seconds each on a busy machine.
export default defineProject({
  test: { name: 'db-tools', include: ['*.spec.ts'], environment: 'node', pool: 'forks', testTimeout: 180_000, hookTimeout: 60_000 },
});
