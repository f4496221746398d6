import { defineProject } from 'vitest/config';

export default defineProject({
  test: { name: 'lint-rules', include: ['*.spec.ts'], environment: 'node', testTimeout: 120_000, pool: 'forks' },
});
