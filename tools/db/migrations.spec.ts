// Proves the committed migrations of every data-access lib are current and usable. For each lib,
// drizzle-kit generate runs against a throw-away copy of its migrations folder and must report no
// schema changes and write nothing; a control run against an empty copy does write a migration, so
// the check can fail. The journal lists exactly the SQL files; the SQL names no schema, so the
// connection's search_path decides where it lands; and the services' migrator (shared-db `migrate`)
// applies it to a fresh random schema on the loopback PostgreSQL, creating the lib's tables there,
// the shared outbox and inbox included. Each test cleans up its temp folders and schemas.
import { cpSync, existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { basename, join, relative, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import postgres from 'postgres';
import { afterAll, describe, expect, it } from 'vitest';
import { dropSchema, migrate } from '@strongbox/shared-db';
import { TEST_DATABASE_URL, uniqueNamespace } from '@strongbox/shared-testing';
import { DRIZZLE_CONFIG_FILE, drizzleKitFailure, findDrizzleProjects, runDrizzleKit, type DrizzleProject } from './generate.mjs';

/** The folder each data-access lib's drizzle.config.ts writes to, and its migrations export resolves to. */
const MIGRATIONS_DIR = join('src', 'migrations');
const MIGRATION_LOCK_TIMEOUT_MS = 10_000;

const projects = findDrizzleProjects();
const temporaryDirs: string[] = [];
const temporarySchemas: string[] = [];

afterAll(async () => {
  for (const dir of temporaryDirs) rmSync(dir, { recursive: true, force: true });
  for (const schema of temporarySchemas) await dropSchema(TEST_DATABASE_URL, schema);
});

interface Journal {
  readonly entries: ReadonlyArray<{ readonly idx: number; readonly tag: string }>;
}

function readJournal(migrationsDir: string): Journal {
  return JSON.parse(readFileSync(join(migrationsDir, 'meta', '_journal.json'), 'utf8')) as Journal;
}

/** Every file under `dir`, as paths relative to it, sorted. */
function listFiles(dir: string): string[] {
  if (!existsSync(dir)) return [];
  return readdirSync(dir, { recursive: true, withFileTypes: true })
    .filter((entry) => entry.isFile())
    .map((entry) => relative(dir, join(entry.parentPath, entry.name)))
    .sort();
}

/**
 * Runs `drizzle-kit generate` for `project` with its own config, except that it writes into a temp
 * folder seeded with `seed` (a copy of the committed migrations, or nothing). Returns what
 * drizzle-kit printed and which files it added.
 */
function generateIntoCopy(project: DrizzleProject, seed: 'committed' | 'empty'): { output: string; failure: string | null; added: string[] } {
  const dir = temporaryDir();
  const out = join(dir, 'migrations');
  if (seed === 'committed') cpSync(join(project.dir, MIGRATIONS_DIR), out, { recursive: true });
  const before = listFiles(out);
  // The lib's own config, with only `out` moved, so the check uses exactly the settings
  // `npm run db:generate` uses. drizzle-kit joins `out` to the working directory, so it must be relative.
  const config = join(dir, DRIZZLE_CONFIG_FILE);
  writeFileSync(
    config,
    `import base from ${JSON.stringify(pathToFileURL(project.config).href)};\nexport default { ...base, out: ${JSON.stringify(relative(project.dir, out))} };\n`,
  );
  const result = runDrizzleKit(project.dir, ['generate', '--config', config], { stdio: 'pipe' });
  const added = listFiles(out).filter((file) => !before.includes(file));
  return { output: `${result.stdout ?? ''}${result.stderr ?? ''}`, failure: drizzleKitFailure(result), added };
}

function temporaryDir(): string {
  const dir = mkdtempSync(join(tmpdir(), 'sb-migrations-'));
  temporaryDirs.push(dir);
  return dir;
}

/** `libs/ledger/data-access` → `ledger`. */
function scopeOf(project: DrizzleProject): string {
  return basename(resolve(project.dir, '..'));
}

describe('data-access migrations', () => {
  it('are found for every service', () => {
    expect(projects.map((project) => project.name)).toEqual([
      'libs/audit/data-access',
      'libs/chain/data-access',
      'libs/gateway/data-access',
      'libs/ledger/data-access',
      'libs/notify/data-access',
    ]);
  });

  it('are detected as stale when missing (control: the up-to-date check can fail)', () => {
    const ledger = projects.find((project) => scopeOf(project) === 'ledger');
    expect(ledger).toBeDefined();
    const result = generateIntoCopy(ledger!, 'empty');
    expect(result.failure, result.output).toBeNull();
    expect(result.added.some((file) => file.endsWith('.sql'))).toBe(true);
  });

  it('counts a schema that fails to load as a failure, although drizzle-kit exits 0 (control)', () => {
    const dir = temporaryDir();
    writeFileSync(join(dir, 'broken.schema.ts'), "throw new Error('schema failed to load');\n");
    writeFileSync(join(dir, DRIZZLE_CONFIG_FILE), "export default { dialect: 'postgresql', schema: './broken.schema.ts', out: './migrations' };\n");
    const result = runDrizzleKit(dir, ['generate', '--config', DRIZZLE_CONFIG_FILE], { stdio: 'pipe' });
    expect(result.status).toBe(0);
    expect(drizzleKitFailure(result)).toBe('error on stderr: Error: schema failed to load');
  });

  describe.each(projects.map((project) => [project.name, project] as const))('%s', (_name, project) => {
    const migrationsDir = join(project.dir, MIGRATIONS_DIR);

    it('generates into src/migrations, the folder the lib exports to its migrator', async () => {
      const config = ((await import(pathToFileURL(project.config).href)) as { default: { out: string } }).default;
      expect(resolve(project.dir, config.out)).toBe(migrationsDir);
      expect(existsSync(join(migrationsDir, 'meta', '_journal.json'))).toBe(true);
    });

    it('is up to date: drizzle-kit generate finds no schema changes', () => {
      const result = generateIntoCopy(project, 'committed');
      expect(result.failure, result.output).toBeNull();
      expect(result.output).toContain('No schema changes');
      expect(result.added).toEqual([]);
    });

    it('has a journal that lists exactly the SQL files, each with its snapshot', () => {
      const journal = readJournal(migrationsDir);
      const sqlFiles = readdirSync(migrationsDir).filter((file) => file.endsWith('.sql')).sort();
      expect(journal.entries.map((entry) => `${entry.tag}.sql`).sort()).toEqual(sqlFiles);
      expect(journal.entries.map((entry) => entry.idx)).toEqual(journal.entries.map((_, index) => index));
      for (const entry of journal.entries) {
        expect(existsSync(join(migrationsDir, 'meta', `${String(entry.idx).padStart(4, '0')}_snapshot.json`))).toBe(true);
      }
    });

    it('names no schema in its SQL, so the search_path decides where it lands', () => {
      for (const file of readdirSync(migrationsDir).filter((name) => name.endsWith('.sql'))) {
        const sql = readFileSync(join(migrationsDir, file), 'utf8');
        expect(sql, file).not.toMatch(/"[^"]+"\s*\.\s*"[^"]+"/);
        expect(sql, file).not.toMatch(/\b(?:create|drop|alter)\s+schema\b/i);
        expect(sql, file).not.toMatch(/\bsearch_path\b/i);
        expect(sql, file).not.toMatch(/\bpublic\./i);
      }
    });

    it('applies to a fresh schema, creating its tables and the shared outbox and inbox there', async () => {
      const schema = `${uniqueNamespace('mig')}_${scopeOf(project)}`;
      temporarySchemas.push(schema);
      await migrate({ url: TEST_DATABASE_URL, schema, migrationsFolder: migrationsDir, lockTimeoutMs: MIGRATION_LOCK_TIMEOUT_MS });

      const snapshotFile = `${String(readJournal(migrationsDir).entries.length - 1).padStart(4, '0')}_snapshot.json`;
      const snapshot = JSON.parse(readFileSync(join(migrationsDir, 'meta', snapshotFile), 'utf8')) as { tables: Record<string, { name: string }> };
      const expected = Object.values(snapshot.tables).map((table) => table.name);
      expect(expected).toEqual(expect.arrayContaining(['outbox', 'inbox']));

      const sql = postgres(TEST_DATABASE_URL, { max: 1, connect_timeout: 10, onnotice: () => undefined });
      try {
        const rows = await sql<{ table_name: string }[]>`
          select table_name from information_schema.tables where table_schema = ${schema} and table_type = 'BASE TABLE'`;
        expect(rows.map((row) => row.table_name).sort()).toEqual([...expected, '__drizzle_migrations'].sort());
      } finally {
        await sql.end({ timeout: 5 });
      }
    });
  });
});
