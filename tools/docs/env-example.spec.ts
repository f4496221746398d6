// Proves .env.example documents exactly the variables the services read, and documents them truly.
// It loads every app's config schema (apps/<app>/src/config.ts, found on disk) and describes it with
// describeConfig, parses .env.example, and checks: the two sets of names are equal; each variable's
// comment holds the schema's description, whether it is required or its default, the `_FILE`
// variant for secrets, and which services read it; defaulted values equal the default; no value
// holds a password or a bot token; and the example values pass every app's schema, except required
// secrets that are left empty on purpose.
//
// The schemas are imported by path at run time rather than by name: apps are not libraries, and the
// module-boundary rule forbids importing them (`Imports of apps are forbidden`). Like the build,
// which bundles apps by path, this test treats them as artefacts to inspect.
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { beforeAll, describe, expect, it } from 'vitest';
import { z } from 'zod';
import { ConfigError, describeConfig, FILE_SUFFIX, loadConfig, TELEGRAM_BOT_TOKEN_PATTERN, type ConfigVariable } from '@strongbox/shared-config';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '..', '..');
const envExamplePath = join(root, '.env.example');

// ---------------------------------------------------------------------------------------------
// What the services read
// ---------------------------------------------------------------------------------------------

interface AppConfig {
  readonly app: string;
  readonly schema: z.ZodObject;
  readonly variables: readonly ConfigVariable[];
}

/** Every `apps/<app>/src/config.ts`, with the one `…ConfigSchema` it exports. */
async function loadAppConfigs(): Promise<AppConfig[]> {
  const apps = readdirSync(join(root, 'apps'), { withFileTypes: true })
    .filter((entry) => entry.isDirectory() && existsSync(join(root, 'apps', entry.name, 'src', 'config.ts')))
    .map((entry) => entry.name)
    .sort();
  const configs: AppConfig[] = [];
  for (const app of apps) {
    const module = (await import(pathToFileURL(join(root, 'apps', app, 'src', 'config.ts')).href)) as Record<string, unknown>;
    const schemas = Object.entries(module).filter(([name, value]) => name.endsWith('ConfigSchema') && value instanceof z.ZodObject);
    if (schemas.length !== 1) throw new Error(`apps/${app}/src/config.ts must export exactly one …ConfigSchema, found ${schemas.length}`);
    const schema = schemas[0]![1] as z.ZodObject;
    configs.push({ app, schema, variables: describeConfig(schema) });
  }
  return configs;
}

interface KnownVariable {
  readonly variable: ConfigVariable;
  readonly readers: string[];
}

// ---------------------------------------------------------------------------------------------
// What .env.example says
// ---------------------------------------------------------------------------------------------

interface DocumentedVariable {
  readonly name: string;
  readonly value: string;
  /** The comment lines directly above the assignment, without `# `. */
  readonly comment: readonly string[];
  readonly line: number;
}

const ASSIGNMENT_PATTERN = /^([A-Z][A-Z0-9_]*)=(.*)$/;

/** Parses `.env.example`: blank lines, `#` comments and `NAME=value` lines; anything else is an error. */
function parseEnvExample(text: string): DocumentedVariable[] {
  const documented: DocumentedVariable[] = [];
  let comment: string[] = [];
  text.split('\n').forEach((raw, index) => {
    const line = raw.replace(/\r$/, '');
    if (line.trim() === '') {
      comment = [];
      return;
    }
    if (line.startsWith('#')) {
      comment.push(line.replace(/^#\s?/, ''));
      return;
    }
    const match = ASSIGNMENT_PATTERN.exec(line);
    if (match === null) throw new Error(`.env.example line ${index + 1} is neither blank, a comment nor NAME=value: ${JSON.stringify(line)}`);
    documented.push({ name: match[1]!, value: match[2]!, comment, line: index + 1 });
    comment = [];
  });
  return documented;
}

/** The comment as one line of text, so wrapped sentences can be searched. */
function commentText(variable: DocumentedVariable): string {
  return variable.comment.join(' ').replace(/\s+/g, ' ');
}

/** The line that says whether the variable must be set, as the schema describes it. */
function expectedRequirement(variable: ConfigVariable): string {
  if (variable.required) return 'Required.';
  return variable.default === undefined ? 'Optional; unset by default.' : `Optional; default: ${variable.default}.`;
}

// ---------------------------------------------------------------------------------------------
// Checks
// ---------------------------------------------------------------------------------------------

let apps: AppConfig[] = [];
const known = new Map<string, KnownVariable>();
let documented: DocumentedVariable[] = [];

beforeAll(async () => {
  apps = await loadAppConfigs();
  for (const { app, variables } of apps) {
    for (const variable of variables) {
      const entry = known.get(variable.name);
      if (entry === undefined) known.set(variable.name, { variable, readers: [app] });
      else entry.readers.push(app);
    }
  }
  documented = parseEnvExample(readFileSync(envExamplePath, 'utf8'));
  // Importing the five apps' config modules (and their libraries) takes seconds on a busy machine.
}, 60_000);

describe('.env.example', () => {
  it('covers the five services', () => {
    expect(apps.map((config) => config.app)).toEqual(['admin-audit', 'bot-gateway', 'chain-watcher', 'ledger', 'notifier']);
  });

  it('gives one meaning to each variable name across services', () => {
    for (const { app, variables } of apps) {
      for (const variable of variables) {
        expect(variable, `${variable.name} in ${app}`).toEqual(known.get(variable.name)!.variable);
      }
    }
  });

  it('documents every variable a service reads, once', () => {
    const names = documented.map((variable) => variable.name);
    const duplicates = names.filter((name, index) => names.indexOf(name) !== index);
    expect(duplicates, 'documented more than once').toEqual([]);
    const missing = [...known.keys()].filter((name) => !names.includes(name));
    expect(missing, 'read by a service but missing from .env.example').toEqual([]);
  });

  it('documents nothing no service reads', () => {
    const unknown = documented.map((variable) => variable.name).filter((name) => !known.has(name));
    expect(unknown, 'in .env.example but read by no service').toEqual([]);
  });

  it('explains each variable: meaning, requirement or default, secrecy and readers', () => {
    for (const entry of documented) {
      const { variable, readers } = known.get(entry.name) ?? { variable: undefined, readers: [] };
      if (variable === undefined) continue;
      const where = `${entry.name} (line ${entry.line})`;
      expect(variable.description, `${entry.name} has no .describe() in its schema`).toBeDefined();
      expect(commentText(entry), where).toContain(variable.description!.replace(/\s+/g, ' '));
      expect(entry.comment, where).toContain(expectedRequirement(variable));
      if (variable.secret) expect(commentText(entry), where).toContain(`${entry.name}${FILE_SUFFIX}`);
      const readBy = entry.comment.find((line) => line.startsWith('Read by: '));
      expect(readBy, `${where} has no "Read by:" line`).toBeDefined();
      const listed = readBy!.replace(/^Read by: /, '').replace(/\.$/, '').split(', ');
      expect([...listed].sort(), where).toEqual([...readers].sort());
    }
  });

  it('shows the default as the value wherever there is one', () => {
    for (const entry of documented) {
      const variable = known.get(entry.name)?.variable;
      if (variable?.default !== undefined) expect(entry.value, entry.name).toBe(variable.default);
    }
  });

  it('holds no secret: no bot token, no password in any URL', () => {
    expect(documented.find((entry) => entry.name === 'BOT_TOKEN')?.value).toBe('');
    for (const entry of documented) {
      expect(entry.value, entry.name).not.toMatch(TELEGRAM_BOT_TOKEN_PATTERN);
      if (/^[a-z][a-z0-9+.-]*:\/\//i.test(entry.value)) {
        for (const item of entry.value.split(',')) expect(new URL(item.trim()).password, entry.name).toBe('');
      }
    }
  });

  it("passes every service's schema, except required secrets left empty on purpose", () => {
    const env = Object.fromEntries(documented.map((entry) => [entry.name, entry.value]));
    for (const { app, schema, variables } of apps) {
      const leftEmpty = variables.filter((variable) => variable.required && variable.secret && env[variable.name] === '');
      let problems: string[] = [];
      try {
        loadConfig(schema, env);
      } catch (error) {
        if (!(error instanceof ConfigError)) throw error;
        problems = error.problems;
      }
      expect(problems, app).toEqual(leftEmpty.map((variable) => `${variable.name}: required but not set (set ${variable.name} or ${variable.fileVariable})`));
    }
  });
});

describe('parseEnvExample', () => {
  it('reads assignments with the comment directly above them, and refuses other lines', () => {
    expect(parseEnvExample('# banner\n\n# meaning\n# Required.\nA_B=1\nC=\n')).toEqual([
      { name: 'A_B', value: '1', comment: ['meaning', 'Required.'], line: 5 },
      { name: 'C', value: '', comment: [], line: 6 },
    ]);
    expect(() => parseEnvExample('export A=1\n')).toThrow(/line 1 is neither/);
    expect(() => parseEnvExample('a=1\n')).toThrow(/line 1 is neither/);
    expect(() => parseEnvExample(' A=1\n')).toThrow(/line 1 is neither/);
  });
});
