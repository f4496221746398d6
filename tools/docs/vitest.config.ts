import { defineProject } from 'vitest/config';

export default defineProject({
  test: { name: 'docs-tools', include: ['*.spec.ts'], environment: 'node', pool: 'forks' },
});
