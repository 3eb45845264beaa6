import { readFile } from 'node:fs/promises';
import { ConfigError, isConfigError, type ConfigProblem } from '../errors/config-error.js';
import { substituteEnv } from './env.js';
import { errorMap, toProblems } from './problems.js';
import { configSchema, type SwitchyardConfig } from './schema.js';
import { parseSource } from './source.js';

export interface LoadOptions {
  /** Where `${VAR}` values come from; defaults to `process.env`. */
  env?: NodeJS.ProcessEnv;
}

export type CheckResult = { ok: true; config: SwitchyardConfig } | { ok: false; problems: ConfigProblem[] };

/**
 * Configs this module produced. Substitution runs once: a second pass would turn an escaped `$${X}` (now the
 * text `${X}`) or a secret containing `${` into a lookup, so `check` and `serve` would disagree.
 */
const parsed = new WeakSet<object>();

/**
 * Validates an already-parsed configuration tree (YAML/JSON output or a literal object) and applies defaults.
 * Throws a `ConfigError` listing every problem found: environment and schema problems together.
 * A config this function (or `loadConfigFile`) returned is returned as it is, not substituted again.
 */
export function parseConfig(raw: unknown, opts: LoadOptions = {}): SwitchyardConfig {
  if (raw === null || raw === undefined) throw new ConfigError([{ path: '', message: 'the configuration is empty' }]);
  if (typeof raw === 'object' && parsed.has(raw)) return raw as SwitchyardConfig;
  const { value, problems, failedPaths, substitutedPaths } = substituteEnv(raw, opts.env ?? process.env);
  const result = configSchema.safeParse(value, { error: errorMap });
  if (result.success && problems.length === 0) {
    parsed.add(result.data);
    return result.data;
  }
  if (!result.success) {
    // A field whose variable is missing would otherwise be reported twice (e.g. also as "must not be empty").
    const schemaProblems = toProblems(result.error.issues, { schema: configSchema, input: value, substituted: substitutedPaths });
    problems.push(...schemaProblems.filter((p) => !failedPaths.has(p.path)));
  }
  throw new ConfigError(problems);
}

/**
 * A parsed config with top-level fields replaced by values already valid (e.g. `serve`'s --host/--port):
 * still a parsed config, so `createRouter` takes it without substituting it again.
 */
export function withParsedFields(base: SwitchyardConfig, fields: Partial<SwitchyardConfig>): SwitchyardConfig {
  if (!parsed.has(base)) throw new TypeError('withParsedFields: the base is not a config parseConfig returned');
  const derived = { ...base, ...fields };
  parsed.add(derived);
  return derived;
}

/** Reads a YAML or JSON file (by extension; anything else is read as YAML, a superset of JSON) and parses it. */
export async function loadConfigFile(path: string, opts: LoadOptions = {}): Promise<SwitchyardConfig> {
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (e) {
    throw new ConfigError([{ path, message: readFailure(e) }]);
  }
  // Editors on Windows may save a BOM; JSON.parse rejects it.
  const source = parseSource(text.replace(/^\uFEFF/, ''), path);
  if (!source.ok) throw new ConfigError(source.problems);
  return parseConfig(source.tree, opts);
}

/** `switchyard check FILE`: the same validation as `loadConfigFile`, as a result instead of a throw. */
export async function checkConfigFile(path: string, opts: LoadOptions = {}): Promise<CheckResult> {
  try {
    return { ok: true, config: await loadConfigFile(path, opts) };
  } catch (e) {
    if (isConfigError(e)) return { ok: false, problems: [...e.problems] };
    throw e;
  }
}

function readFailure(e: unknown): string {
  switch ((e as NodeJS.ErrnoException).code) {
    case 'ENOENT':
      return 'file not found';
    case 'EACCES':
    case 'EPERM':
      return 'permission denied';
    case 'EISDIR':
      return 'is a directory, not a file';
    default:
      return `cannot read the file (${(e as NodeJS.ErrnoException).code ?? 'unknown error'})`;
  }
}
