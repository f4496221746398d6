import { readFileSync } from 'node:fs';
import { z } from 'zod';
import { isSecretField, schemaChain } from './env.fields';
import { ConfigError } from './errors';

// ---------------------------------------------------------------------------------------------
// Loading: environment (and `<KEY>_FILE` files) → validated, typed config, or one error that
// names every problem at once.
// ---------------------------------------------------------------------------------------------

/** Suffix of the variable that names a file holding the value (Docker and Kubernetes secrets). */
export const FILE_SUFFIX = '_FILE';

/** Largest file a `<KEY>_FILE` variable may point at; config values are short. */
const VALUE_FILE_BYTES_MAX = 64 * 1024;

/** How much of a malformed, non-secret value a problem message quotes. */
const EXCERPT_CHARS_MAX = 32;

/** Problems listed at most, so a wildly wrong environment still gives a readable message. */
const PROBLEMS_MAX = 100;

export interface LoadConfigOptions {
  /** Keys whose values must never be echoed, in addition to fields marked with `secret()`. */
  secretKeys?: string[];
}

/**
 * Reads every key of `schema` from `env`, or from the file named by `<KEY>_FILE` (trailing newline
 * trimmed), validates the lot and returns the typed config. An empty value counts as unset.
 * Throws `ConfigError` listing every problem — missing, malformed, out of range, both `KEY` and
 * `KEY_FILE` set, unreadable file — each naming its variable and never quoting a secret.
 *
 * @example
 * const config = loadConfig(ledgerConfigSchema, process.env, { secretKeys: ['DATABASE_URL'] });
 */
export function loadConfig<S extends z.ZodObject>(
  schema: S,
  env: Record<string, string | undefined>,
  options: LoadConfigOptions = {},
): z.output<S> {
  const shape: Record<string, z.core.$ZodType> = schema.shape;
  const secretKeys = new Set(options.secretKeys ?? []);
  for (const [key, field] of Object.entries(shape)) {
    if (isSecretField(field)) secretKeys.add(key);
  }

  const problems: string[] = [];
  // Keys whose source is already reported (both set, unreadable file) are not reported again as
  // "required but not set": one problem per variable, naming the real cause.
  const reported = new Set<string>();
  const values: Record<string, string | undefined> = {};
  for (const key of Object.keys(shape)) {
    const fileKey = `${key}${FILE_SUFFIX}`;
    const direct = nonEmpty(env[key]);
    const filePath = nonEmpty(env[fileKey]);
    if (direct !== undefined && filePath !== undefined) {
      problems.push(`${key}: both ${key} and ${fileKey} are set; set only one`);
      reported.add(key);
      continue;
    }
    if (filePath === undefined) {
      values[key] = direct;
      continue;
    }
    // A value that arrives through a file is treated as secret: that is why it is in a file.
    secretKeys.add(key);
    const read = readValueFile(filePath);
    if (typeof read === 'string') values[key] = nonEmpty(read);
    else {
      problems.push(`${key}: ${fileKey} names a file that cannot be read (${filePath}: ${read.reason})`);
      reported.add(key);
    }
  }

  const result = schema.safeParse(values);
  if (!result.success) {
    // One problem per place: a value can break several checks at once (not a URL, and no `//`),
    // and the first says enough.
    const places = new Set<string>();
    for (const issue of result.error.issues) {
      if (typeof issue.path[0] === 'string' && reported.has(issue.path[0])) continue;
      const place = issue.path.map((segment) => String(segment)).join('\u0000');
      if (places.has(place)) continue;
      places.add(place);
      problems.push(describeIssue(issue, values, secretKeys, shape));
    }
  }
  if (problems.length > 0) {
    const listed = problems.slice(0, PROBLEMS_MAX);
    if (problems.length > PROBLEMS_MAX) listed.push(`… and ${problems.length - PROBLEMS_MAX} more`);
    throw new ConfigError(listed);
  }
  if (!result.success) throw new Error('unreachable: a failed parse always yields problems');
  return result.data;
}

function nonEmpty(value: string | undefined): string | undefined {
  return value === undefined || value === '' ? undefined : value;
}

function readValueFile(path: string): string | { reason: string } {
  try {
    const content = readFileSync(path);
    if (content.byteLength > VALUE_FILE_BYTES_MAX) return { reason: `larger than ${VALUE_FILE_BYTES_MAX} bytes` };
    // Editors and `echo` add a final newline; a secret never ends with one.
    return content.toString('utf8').replace(/(?:\r?\n)+$/, '');
  } catch (error) {
    const code = (error as NodeJS.ErrnoException | undefined)?.code;
    return { reason: code ?? 'unreadable' };
  }
}

function describeIssue(
  issue: z.core.$ZodIssue,
  values: Record<string, string | undefined>,
  secretKeys: ReadonlySet<string>,
  shape: Record<string, z.core.$ZodType>,
): string {
  const [head, ...rest] = issue.path;
  if (typeof head !== 'string') return `(config): ${issue.message}`;
  const where = head + rest.map((segment) => `[${String(segment)}]`).join('');
  const raw = values[head];
  if (raw === undefined && shape[head] !== undefined && issue.code === 'invalid_type') {
    return `${head}: required but not set (set ${head} or ${head}${FILE_SUFFIX})`;
  }
  if (secretKeys.has(head)) {
    // Custom messages could quote the input; make sure a secret's value cannot slip through.
    const message = raw !== undefined && raw.length >= 4 ? issue.message.split(raw).join('***') : issue.message;
    return `${where}: ${message} (value hidden: secret)`;
  }
  return raw === undefined ? `${where}: ${issue.message}` : `${where}: ${issue.message} (got ${excerpt(raw)})`;
}

function excerpt(value: string): string {
  return JSON.stringify(value.length > EXCERPT_CHARS_MAX ? `${value.slice(0, EXCERPT_CHARS_MAX)}…` : value);
}

// ---------------------------------------------------------------------------------------------
// Describing: what a schema expects, for `.env.example` and READMEs.
// ---------------------------------------------------------------------------------------------

/** One variable a config schema reads. */
export interface ConfigVariable {
  readonly name: string;
  /** True when the variable has neither a default nor is optional. */
  readonly required: boolean;
  /** The default as it would be written in the environment, e.g. `'10'`; undefined when none. */
  readonly default: string | undefined;
  readonly secret: boolean;
  /** From the field's `.describe()`; undefined when the field has none. */
  readonly description: string | undefined;
  /** The variable that may name a file holding the value instead: `<name>_FILE`. */
  readonly fileVariable: string;
}

/**
 * Lists every variable `schema` reads, in declaration order, with whether it is required, its
 * default, whether it is secret and its description.
 *
 * @example
 * for (const variable of describeConfig(ledgerConfigSchema)) console.log(`${variable.name}=${variable.default ?? ''}`);
 */
export function describeConfig(schema: z.ZodObject): ConfigVariable[] {
  const shape: Record<string, z.core.$ZodType> = schema.shape;
  return Object.entries(shape).map(([name, field]) => {
    const chain = schemaChain(field);
    let required = true;
    let defaultValue: string | undefined;
    let description: string | undefined;
    for (const link of chain) {
      const def: z.core.$ZodTypeDef & { defaultValue?: unknown } = link._zod.def;
      if (def.type === 'optional' || def.type === 'default' || def.type === 'prefault') required = false;
      if ((def.type === 'default' || def.type === 'prefault') && defaultValue === undefined) defaultValue = envText(def.defaultValue);
      description ??= readDescription(link);
    }
    return { name, required, default: defaultValue, secret: isSecretField(field), description, fileVariable: `${name}${FILE_SUFFIX}` };
  });
}

function readDescription(schema: z.core.$ZodType): string | undefined {
  const description = z.globalRegistry.get(schema)?.description;
  return typeof description === 'string' ? description : undefined;
}

function envText(value: unknown): string | undefined {
  if (value === undefined || value === null) return undefined;
  if (Array.isArray(value)) return value.map((item) => String(item)).join(',');
  if (typeof value === 'object') return JSON.stringify(value);
  return String(value);
}
