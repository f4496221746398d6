import { defineConfig } from 'drizzle-kit';

// `npm run db:generate` turns changes of the schema file into a committed SQL migration.
export default defineConfig({
  dialect: 'postgresql',
  schema: './src/chain.schema.ts',
  out: './src/migrations',
});
