import type { ViteUserConfig } from 'vitest/config';

/**
 * The test settings every project shares: unit tests beside the code (`src/**\/*.spec.ts`),
 * integration tests under `test/` against the real PostgreSQL, NATS and Redis on loopback.
 * Integration tests isolate themselves (own schema, stream prefix, key prefix), so files run in
 * parallel; timeouts are generous because they start real processes.
 */
export function projectTestConfig(name: string): ViteUserConfig {
  return {
    test: {
      name,
      include: ['src/**/*.spec.ts', 'test/**/*.spec.ts', 'test/**/*.test.ts'],
      environment: 'node',
      testTimeout: 60_000,
      hookTimeout: 120_000,
      pool: 'forks',
    },
  };
}
