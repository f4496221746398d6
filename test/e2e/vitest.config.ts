import { defineProject } from 'vitest/config';

// System tests: whole services as processes against the real servers. Each file starts its own
// stack in its own namespace; the bundles in dist/apps are built by `npm test` before vitest runs.
export default defineProject({
  test: {
    name: 'e2e',
    include: ['**/*.e2e.spec.ts'],
    environment: 'node',
    testTimeout: 180_000,
    hookTimeout: 180_000,
    pool: 'forks',
  },
});
