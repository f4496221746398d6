import { defineConfig } from 'drizzle-kit';

// `npm run db:generate` turns changes of the schema file into a committed SQL migration.
export default defineConfig({
  dialect: 'postgresql',
  schema: ['./src/ledger.schema.ts', './src/operations.schema.ts', './src/plans.schema.ts', './src/users.schema.ts'],
  out: './src/migrations',
});
