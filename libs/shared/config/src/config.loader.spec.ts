// Proves that loadConfig turns an environment into typed config or one ConfigError naming every
// problem (missing, malformed, out of range, KEY and KEY_FILE both set, unreadable KEY_FILE), reads
// `<KEY>_FILE` values from real temporary files, and never prints a secret; and that describeConfig
// reports required/default/secret/description per variable. Table-driven over the real fragments.
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { z } from 'zod';
import { ConfigError, ConfigErrorCodes } from './errors';
import { describeConfig, loadConfig } from './config.loader';
import { commonEnv, databaseEnv, natsEnv, redisEnv, telegramEnv } from './env.fragments';
import { strictInteger } from './env.fields';

const schema = z.object({
  ...commonEnv.shape,
  ...databaseEnv.shape,
  ...natsEnv.shape,
  ...redisEnv.shape,
  ...telegramEnv.shape,
  WIDGETS_MAX: strictInteger({ min: 1, max: 64 }).default(4).describe('How many widgets.'),
  API_KEY: z.string().min(8).describe('An API key passed as secret through options.'),
});

const DB_SECRET = 'do-not-print-me';
const DATABASE_URL = `postgres://strongbox:${DB_SECRET}@127.0.0.1:5432/strongbox`;
const BOT_TOKEN = '123456789:AAHdqTcvCH1vGWJxfSeofSAs0K5PALDsawQ';
const VALID = { DATABASE_URL, BOT_TOKEN, API_KEY: 'key-123456' };

const directory = mkdtempSync(join(tmpdir(), 'sb-config-'));
afterAll(() => rmSync(directory, { recursive: true, force: true }));
function secretFile(name: string, content: string): string {
  const path = join(directory, name);
  writeFileSync(path, content);
  return path;
}

function problemsOf(env: Record<string, string | undefined>, secretKeys = ['API_KEY']): string[] {
  try {
    loadConfig(schema, env, { secretKeys });
  } catch (error) {
    expect(error).toBeInstanceOf(ConfigError);
    const configError = error as ConfigError;
    expect(configError.code).toBe(ConfigErrorCodes.invalid);
    expect(configError.name).toBe('ConfigError');
    expect(configError.message).toContain(configError.problems[0]);
    return configError.problems;
  }
  throw new Error('expected loadConfig to throw');
}

describe('loadConfig', () => {
  it('applies defaults and parses a valid environment', () => {
    const config = loadConfig(schema, VALID, { secretKeys: ['API_KEY'] });
    expect(config).toEqual({
      STRONGBOX_NAMESPACE: 'sb',
      LOG_LEVEL: 'info',
      OPS_HOST: '0.0.0.0',
      OPS_PORT: 9100,
      SHUTDOWN_TIMEOUT_MS: 10_000,
      NODE_ENV: 'production',
      DATABASE_URL,
      DATABASE_POOL_SIZE_MAX: 10,
      NATS_URL: 'nats://127.0.0.1:4222',
      BOT_TOKEN,
      TELEGRAM_API_ROOT: 'https://api.telegram.org',
      WIDGETS_MAX: 4,
      API_KEY: 'key-123456',
    });
    expect('REDIS_URL' in config && config.REDIS_URL !== undefined).toBe(false);
    expect('OTEL_EXPORTER_OTLP_ENDPOINT' in config && config.OTEL_EXPORTER_OTLP_ENDPOINT !== undefined).toBe(false);
  });

  it.each([
    ['OPS_PORT', '1', 1],
    ['OPS_PORT', '65535', 65_535],
    ['SHUTDOWN_TIMEOUT_MS', '120000', 120_000],
    ['STRONGBOX_NAMESPACE', 't_abc123', 't_abc123'],
    ['LOG_LEVEL', 'trace', 'trace'],
    ['NATS_URL', 'nats://a:4222, tls://b:4222', 'nats://a:4222,tls://b:4222'],
    ['REDIS_URL', 'redis://:pw@127.0.0.1:6379/0', 'redis://:pw@127.0.0.1:6379/0'],
    ['DATABASE_URL', 'postgresql://postgres@127.0.0.1:5432/test', 'postgresql://postgres@127.0.0.1:5432/test'],
    ['OTEL_EXPORTER_OTLP_ENDPOINT', 'http://127.0.0.1:4318', 'http://127.0.0.1:4318'],
    ['TELEGRAM_API_ROOT', 'http://127.0.0.1:8081', 'http://127.0.0.1:8081'],
    ['OPS_HOST', '::', '::'],
  ])('accepts %s=%j', (key, value, expected) => {
    const config = loadConfig(schema, { ...VALID, [key]: value }, { secretKeys: ['API_KEY'] }) as Record<string, unknown>;
    expect(config[key]).toEqual(expected);
  });

  it.each([
    ['DATABASE_URL', { BOT_TOKEN, API_KEY: 'key-123456' }],
    ['BOT_TOKEN', { DATABASE_URL, API_KEY: 'key-123456' }],
    ['API_KEY', { DATABASE_URL, BOT_TOKEN }],
  ])('names a missing %s and how to set it', (key, env) => {
    expect(problemsOf(env)).toEqual([`${key}: required but not set (set ${key} or ${key}_FILE)`]);
  });

  it('treats an empty value as unset', () => {
    expect(problemsOf({ ...VALID, DATABASE_URL: '' })).toEqual(['DATABASE_URL: required but not set (set DATABASE_URL or DATABASE_URL_FILE)']);
    expect(loadConfig(schema, { ...VALID, REDIS_URL: '', OPS_PORT: '' }, { secretKeys: ['API_KEY'] }).OPS_PORT).toBe(9100);
  });

  it.each([
    ['OPS_PORT', '70000', /OPS_PORT: must be at most 65535 \(got "70000"\)/],
    ['OPS_PORT', '0', /OPS_PORT: must be at least 1/],
    ['OPS_PORT', '1e3', /OPS_PORT: must be a whole number/],
    ['OPS_PORT', '12abc', /OPS_PORT: must be a whole number/],
    ['OPS_PORT', '80.5', /OPS_PORT: must be a whole number/],
    ['OPS_PORT', ' 80', /OPS_PORT: must be a whole number/],
    ['OPS_PORT', '0080', /OPS_PORT: must be a whole number/],
    ['OPS_PORT', '+80', /OPS_PORT: must be a whole number/],
    ['SHUTDOWN_TIMEOUT_MS', '1e3', /SHUTDOWN_TIMEOUT_MS: must be a whole number/],
    ['SHUTDOWN_TIMEOUT_MS', '999', /SHUTDOWN_TIMEOUT_MS: must be at least 1000/],
    ['DATABASE_POOL_SIZE_MAX', '0', /DATABASE_POOL_SIZE_MAX: must be at least 1/],
    ['LOG_LEVEL', 'loud', /LOG_LEVEL: Invalid option.*\(got "loud"\)/],
    ['STRONGBOX_NAMESPACE', 'Bad-Namespace', /STRONGBOX_NAMESPACE: must match/],
    ['OPS_HOST', 'http://x', /OPS_HOST: must be a host name or an IP address/],
    ['NATS_URL', 'nats://a:4222,http://b', /NATS_URL: entry 2 must be a URL starting with nats:\/\//],
    ['NATS_URL', ' , ', /NATS_URL: must hold at least one URL/],
    ['OTEL_EXPORTER_OTLP_ENDPOINT', 'collector:4318', /OTEL_EXPORTER_OTLP_ENDPOINT: must be a URL starting with http:\/\/ or https:\/\//],
    ['NODE_ENV', 'prod', /NODE_ENV: Invalid option/],
    ['TELEGRAM_API_ROOT', 'ftp://x', /TELEGRAM_API_ROOT: must be a URL/],
    ['DATABASE_URL', 'postgres:strongbox', /DATABASE_URL: must be a URL starting with postgres:\/\/ or postgresql:\/\/ \(value hidden: secret\)/],
  ])('names a malformed %s=%j', (key, value, expected) => {
    const problems = problemsOf({ ...VALID, [key]: value });
    expect(problems).toHaveLength(1);
    expect(problems[0]).toMatch(expected);
  });

  it('lists several problems at once, one per variable', () => {
    const problems = problemsOf({
      DATABASE_URL: 'mysql://root:hunter22@db/x',
      OPS_PORT: '70000',
      LOG_LEVEL: 'loud',
      STRONGBOX_NAMESPACE: 'Bad-Namespace',
      SHUTDOWN_TIMEOUT_MS: '1e3',
    });
    const named = problems.map((problem) => problem.split(':')[0]).sort();
    expect(named).toEqual(['API_KEY', 'BOT_TOKEN', 'DATABASE_URL', 'LOG_LEVEL', 'OPS_PORT', 'SHUTDOWN_TIMEOUT_MS', 'STRONGBOX_NAMESPACE']);
    expect(problems.join('\n')).not.toContain('hunter22');
  });

  it.each([
    ['a malformed secret URL field', { ...VALID, DATABASE_URL: `mysql://strongbox:${DB_SECRET}@db/x` }, DB_SECRET],
    ['a malformed bot token', { ...VALID, BOT_TOKEN: 'not-a-token-do-not-print-me' }, 'not-a-token-do-not-print-me'],
    ['a short key passed in secretKeys', { ...VALID, API_KEY: 'short' }, 'short'],
    ['a value read from a file', { ...VALID, WIDGETS_MAX_FILE: secretFile('widgets', 'many-do-not-print-me\n') }, 'many-do-not-print-me'],
  ])('never prints the value of %s', (_case, env, value) => {
    const problems = problemsOf(env);
    expect(problems).toHaveLength(1);
    expect(problems[0]).toContain('(value hidden: secret)');
    expect(problems.join('\n')).not.toContain(value);
  });

  it('reads KEY_FILE, trimming the trailing newline', () => {
    const config = loadConfig(
      schema,
      {
        BOT_TOKEN_FILE: secretFile('bot_token', `${BOT_TOKEN}\n`),
        DATABASE_URL_FILE: secretFile('database_url', `${DATABASE_URL}\r\n`),
        API_KEY: 'key-123456',
        OPS_PORT_FILE: secretFile('ops_port', '9200'),
      },
      { secretKeys: ['API_KEY'] },
    );
    expect(config.BOT_TOKEN).toBe(BOT_TOKEN);
    expect(config.DATABASE_URL).toBe(DATABASE_URL);
    expect(config.OPS_PORT).toBe(9200);
  });

  it.each([
    ['KEY and KEY_FILE both set', { ...VALID, BOT_TOKEN_FILE: secretFile('both', BOT_TOKEN) }, /^BOT_TOKEN: both BOT_TOKEN and BOT_TOKEN_FILE are set; set only one$/],
    [
      'KEY_FILE naming a missing file',
      { DATABASE_URL, API_KEY: 'key-123456', BOT_TOKEN_FILE: join(directory, 'absent') },
      /^BOT_TOKEN: BOT_TOKEN_FILE names a file that cannot be read \(.*absent: ENOENT\)$/,
    ],
    ['KEY_FILE naming a directory', { DATABASE_URL, API_KEY: 'key-123456', BOT_TOKEN_FILE: directory }, /^BOT_TOKEN: BOT_TOKEN_FILE names a file that cannot be read \(.*: EISDIR\)$/],
    ['KEY_FILE naming an empty file', { DATABASE_URL, API_KEY: 'key-123456', BOT_TOKEN_FILE: secretFile('empty', '\n') }, /^BOT_TOKEN: required but not set/],
  ])('reports %s', (_case, env, expected) => {
    const problems = problemsOf(env);
    expect(problems).toHaveLength(1);
    expect(problems[0]).toMatch(expected);
  });

  it('ignores variables the schema does not read', () => {
    expect(() => loadConfig(schema, { ...VALID, PATH: '/bin', UNRELATED_FILE: '/nonexistent' }, { secretKeys: ['API_KEY'] })).not.toThrow();
  });
});

describe('describeConfig', () => {
  const variables = describeConfig(schema);
  const byName = new Map(variables.map((variable) => [variable.name, variable]));

  it('lists every variable in declaration order', () => {
    expect(variables.map((variable) => variable.name)).toEqual(Object.keys(schema.shape));
  });

  it.each([
    ['DATABASE_URL', { required: true, default: undefined, secret: true }],
    ['DATABASE_POOL_SIZE_MAX', { required: false, default: '10', secret: false }],
    ['BOT_TOKEN', { required: true, default: undefined, secret: true }],
    ['REDIS_URL', { required: false, default: undefined, secret: true }],
    ['OTEL_EXPORTER_OTLP_ENDPOINT', { required: false, default: undefined, secret: false }],
    ['STRONGBOX_NAMESPACE', { required: false, default: 'sb', secret: false }],
    ['NATS_URL', { required: false, default: 'nats://127.0.0.1:4222', secret: false }],
    ['WIDGETS_MAX', { required: false, default: '4', secret: false }],
    ['API_KEY', { required: true, default: undefined, secret: false }],
  ])('describes %s', (name, expected) => {
    expect(byName.get(name)).toMatchObject({ ...expected, fileVariable: `${name}_FILE` });
  });

  it('finds a description on every field of the shared fragments', () => {
    for (const fragment of [commonEnv, databaseEnv, natsEnv, redisEnv, telegramEnv]) {
      for (const variable of describeConfig(fragment)) expect(variable.description, variable.name).toMatch(/\S{3}/);
    }
  });

  it('reads the default and description through a transform and a pipe', () => {
    const assets = z.object({
      ASSETS: z
        .string()
        .default('USDT')
        .describe('Asset codes.')
        .transform((value) => value.split(','))
        .pipe(z.array(z.string()).min(1)),
    });
    expect(describeConfig(assets)).toEqual([
      { name: 'ASSETS', required: false, default: 'USDT', secret: false, description: 'Asset codes.', fileVariable: 'ASSETS_FILE' },
    ]);
  });
});
