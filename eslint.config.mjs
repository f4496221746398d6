import nx from '@nx/eslint-plugin';

// Types a project may depend on. A lower layer never imports a higher one; domain and contracts
// stay pure, so they cannot reach an I/O library even by accident.
const bannedInPureLibs = [
  'drizzle-orm',
  'drizzle-orm/*',
  'drizzle-kit',
  'postgres',
  '@nats-io/*',
  'nats',
  'grammy',
  'grammy/*',
  '@grammyjs/*',
  'fastify',
  '@fastify/*',
  'ethers',
  'pino',
  'pino-*',
  'ioredis',
  'redis',
  'prom-client',
  '@opentelemetry/*',
];

const scopes = ['gateway', 'ledger', 'chain', 'notify', 'audit'];

/**
 * The module-boundary rule's options. Scope rules hold everywhere; `testCode` adds the testing libs
 * to what each layer may import.
 */
function boundaries({ testCode }) {
  const testing = testCode ? ['type:testing'] : [];
  return {
    enforceBuildableLibDependency: false,
    allow: [],
    depConstraints: [
      // A service's code talks to another service only over the bus, never by import.
      ...scopes.map((scope) => ({
        sourceTag: `scope:${scope}`,
        onlyDependOnLibsWithTags: [`scope:${scope}`, 'scope:shared'],
      })),
      { sourceTag: 'scope:shared', onlyDependOnLibsWithTags: ['scope:shared'] },
      // The system tests drive every service as a process and check each one's own state with that
      // service's own data access (its invariant checks, its schema): they may read any scope.
      { sourceTag: 'scope:system', onlyDependOnLibsWithTags: ['*'] },
      { sourceTag: 'type:app', onlyDependOnLibsWithTags: ['type:feature', 'type:data-access', 'type:util', 'type:domain', 'type:contracts', ...testing] },
      { sourceTag: 'type:feature', onlyDependOnLibsWithTags: ['type:feature', 'type:data-access', 'type:util', 'type:domain', 'type:contracts', ...testing] },
      { sourceTag: 'type:data-access', onlyDependOnLibsWithTags: ['type:data-access', 'type:util', 'type:domain', 'type:contracts', ...testing] },
      { sourceTag: 'type:util', onlyDependOnLibsWithTags: ['type:util', 'type:domain', 'type:contracts', ...testing] },
      {
        sourceTag: 'type:contracts',
        onlyDependOnLibsWithTags: ['type:contracts', 'type:domain', ...testing],
        bannedExternalImports: bannedInPureLibs,
      },
      {
        sourceTag: 'type:domain',
        onlyDependOnLibsWithTags: ['type:domain', ...testing],
        bannedExternalImports: bannedInPureLibs,
      },
      { sourceTag: 'type:testing', onlyDependOnLibsWithTags: ['type:feature', 'type:data-access', 'type:util', 'type:domain', 'type:contracts', 'type:testing'] },
      { sourceTag: 'type:e2e', onlyDependOnLibsWithTags: ['type:feature', 'type:data-access', 'type:util', 'type:domain', 'type:contracts', 'type:testing'] },
    ],
  };
}

export default [
  ...nx.configs['flat/base'],
  ...nx.configs['flat/typescript'],
  {
    ignores: ['**/dist', '**/node_modules', '**/.nx', '**/coverage', '**/migrations/meta'],
  },
  {
    files: ['**/*.ts', '**/*.mjs', '**/*.js'],
    rules: { '@nx/enforce-module-boundaries': ['error', boundaries({ testCode: false })] },
  },
  {
    // Tests may also use the testing libs (servers, emulator, isolation); production code may not.
    files: ['**/*.spec.ts', '**/test/**/*.ts'],
    rules: { '@nx/enforce-module-boundaries': ['error', boundaries({ testCode: true })] },
  },
  {
    files: ['**/*.ts'],
    rules: {
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_' }],
      '@typescript-eslint/no-explicit-any': 'error',
    },
  },
  {
    // Tests may use anything, including testing libs; they are still held to the scope rules.
    files: ['**/*.spec.ts', '**/test/**/*.ts'],
    rules: {
      '@typescript-eslint/no-non-null-assertion': 'off',
    },
  },
  {
    // Per-project test configs share the workspace's test settings file, which is not a project.
    files: ['**/vitest.config.ts'],
    rules: { '@nx/enforce-module-boundaries': 'off' },
  },
];
