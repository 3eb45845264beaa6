import type { z } from 'zod';
import type { ConfigProblem } from '../errors/config-error.js';
import { formatPath } from './env.js';

/*
 * Turns zod issues into `path: message` problems. Messages are built from the issue's code and limits only,
 * never from the received value (which may be a secret). Messages the schema spells out itself win over
 * these, because zod ranks a schema's own `error` above the per-parse map.
 */

const TYPE_NAMES: Record<string, string> = {
  record: 'a mapping',
  object: 'a mapping',
  array: 'a list',
  string: 'a string',
  number: 'a number',
  int: 'an integer',
  boolean: 'true or false',
};

/** What a value is, for "got ..." hints: its kind only. */
function kindOf(v: unknown): string {
  if (v === null) return 'null';
  if (Array.isArray(v)) return 'a list';
  if (typeof v === 'object') return 'a mapping';
  if (typeof v === 'boolean') return 'true or false';
  return `a ${typeof v}`;
}

const bound = (iss: { inclusive?: boolean }, strict: string, loose: string) => (iss.inclusive === false ? strict : loose);

/** Per-parse error map, for the zod defaults the schema does not override. */
export const errorMap: z.core.$ZodErrorMap = (iss) => {
  switch (iss.code) {
    case 'invalid_type':
      return iss.input === undefined
        ? 'required'
        : `expected ${TYPE_NAMES[iss.expected] ?? iss.expected}, got ${kindOf(iss.input)}`;
    case 'too_small':
      if (iss.origin === 'string' && Number(iss.minimum) === 1) return 'must not be empty';
      if (iss.origin === 'string') return `expected at least ${iss.minimum} characters`;
      if (iss.origin === 'array' || iss.origin === 'set') return `expected at least ${iss.minimum} items`;
      return `expected a number ${bound(iss, '>', '>=')} ${iss.minimum}`;
    case 'too_big':
      if (iss.origin === 'string') return `expected at most ${iss.maximum} characters`;
      if (iss.origin === 'array' || iss.origin === 'set') return `expected at most ${iss.maximum} items`;
      return `expected a number ${bound(iss, '<', '<=')} ${iss.maximum}`;
    case 'invalid_format':
      return iss.format === 'url' ? 'expected a URL' : `invalid format (expected ${iss.format})`;
    case 'not_multiple_of':
      return `expected a multiple of ${iss.divisor}`;
    case 'invalid_value':
      return `expected one of: ${iss.values.map(String).join(', ')}`;
    case 'unrecognized_keys':
      return `unrecognized keys`; // split per key in toProblems
    case 'invalid_key':
      return 'invalid key';
    default:
      return 'invalid value';
  }
};

export interface IssueContext {
  schema: z.core.$ZodType;
  /** The tree that was validated, to tell an absent key from a wrong value. */
  input: unknown;
  /** Paths whose value came out of `${VAR}` substitution (and so is a string). */
  substituted: ReadonlySet<string>;
}

/** `{ path, message }` per issue; one problem per unrecognized key, so each can be found and fixed. */
export function toProblems(issues: readonly z.core.$ZodIssue[], { schema, input, substituted }: IssueContext): ConfigProblem[] {
  return issues.flatMap((iss): ConfigProblem[] => {
    const path = formatPath(iss.path);
    if (iss.code === 'unrecognized_keys') {
      const known = keysAt(schema, iss.path);
      return iss.keys.map((key) => ({ path, message: `unrecognized key '${key}'${hint(key, known)}` }));
    }
    if (iss.code === 'invalid_key') {
      // The path already ends with the bad key; the nested issue says what an id may look like.
      return [{ path, message: `invalid id: ${iss.issues[0]?.message ?? 'not allowed'}` }];
    }
    // The schema's own type messages ("expected a model name") read oddly for a key that is simply absent.
    if (iss.code === 'invalid_type' && valueAt(input, iss.path) === undefined) return [{ path, message: 'required' }];
    // Substitution never coerces, so `port: ${PORT}` is a string; say so rather than leave the user puzzled.
    if (iss.code === 'invalid_type' && substituted.has(path)) {
      return [{ path, message: `${iss.message} (a value with \${...} is always a string)` }];
    }
    return [{ path, message: iss.message }];
  });
}

const valueAt = (tree: unknown, path: readonly PropertyKey[]): unknown =>
  path.reduce<unknown>((node, key) => (typeof node === 'object' && node !== null && Object.hasOwn(node, key) ? (node as Record<PropertyKey, unknown>)[key] : undefined), tree);

/** Suggests the known key a typo most likely meant (`timeoutMS` -> `timeoutMs`). */
function hint(key: string, known: readonly string[]): string {
  const lower = key.toLowerCase();
  const best = known.find((k) => k.toLowerCase() === lower) ?? known.find((k) => distance(k.toLowerCase(), lower) <= (key.length > 5 ? 2 : 1));
  return best ? ` (did you mean '${best}'?)` : '';
}

function distance(a: string, b: string): number {
  let prev = Array.from({ length: b.length + 1 }, (_, j) => j);
  for (let i = 1; i <= a.length; i++) {
    const row = [i];
    for (let j = 1; j <= b.length; j++) {
      row[j] = Math.min(prev[j]! + 1, row[j - 1]! + 1, prev[j - 1]! + (a[i - 1] === b[j - 1] ? 0 : 1));
    }
    prev = row;
  }
  return prev[b.length]!;
}

interface LooseDef {
  shape?: Record<string, z.core.$ZodType>;
  innerType?: z.core.$ZodType;
  valueType?: z.core.$ZodType;
  element?: z.core.$ZodType;
}

/** The keys an object schema accepts at `path`, found by walking through records, lists and wrappers. */
function keysAt(schema: z.core.$ZodType, path: readonly PropertyKey[]): string[] {
  let node: z.core.$ZodType | undefined = schema;
  let i = 0;
  while (node) {
    const def = node._zod.def as LooseDef;
    if (def.innerType) node = def.innerType; // optional, default, nullable...
    else if (i === path.length) return def.shape ? Object.keys(def.shape) : [];
    else if (def.shape) node = def.shape[String(path[i++])];
    else (node = def.valueType ?? def.element), i++;
  }
  return [];
}
