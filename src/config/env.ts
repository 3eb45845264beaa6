import type { ConfigProblem } from '../errors/config-error.js';

export type PathSegment = string | number;

/** Dotted path with array indices as segments: `routes.chat.endpoints.1`. */
export const formatPath = (path: readonly PropertyKey[]): string => path.map(String).join('.');

export interface EnvSubstitution {
  value: unknown;
  problems: ConfigProblem[];
  /**
   * Paths whose string could not be fully substituted. Schema problems at these paths are consequences of
   * the env problem, so callers drop them instead of reporting the same mistake twice.
   */
  failedPaths: Set<string>;
  /** Paths whose string had at least one reference, so a type error there can explain why it is a string. */
  substitutedPaths: Set<string>;
}

// `$${` is the escape; a `${` with no closing brace is matched last so it can be reported, not sent upstream.
const REFERENCE = /\$\$\{|\$\{([^}]*)\}|\$\{/g;
const BODY = /^([A-Za-z_][A-Za-z0-9_]*)(?::-([\s\S]*))?$/;

/**
 * Replaces `${VAR}` and `${VAR:-default}` in every string value (never in keys) of a parsed YAML/JSON tree.
 * Only strings are touched, so a value that is exactly `${PORT}` stays a string: the schema, not a guess,
 * decides what a field may be. Problems name the variable, never a value, because values are often secrets.
 */
export function substituteEnv(tree: unknown, env: NodeJS.ProcessEnv): EnvSubstitution {
  const problems: ConfigProblem[] = [];
  const failedPaths = new Set<string>();
  const substitutedPaths = new Set<string>();

  const substitute = (text: string, path: PathSegment[]): string =>
    text.replace(REFERENCE, (match: string, body: string | undefined) => {
      if (match === '$${') return '${';
      const at = formatPath(path);
      substitutedPaths.add(at);
      const fail = (message: string) => {
        problems.push({ path: at, message });
        failedPaths.add(at);
        return '';
      };
      if (body === undefined) return fail("unclosed '${': write ${NAME}, or $${ for a literal '${'");
      const parsed = BODY.exec(body);
      if (!parsed) return fail("invalid '${...}' reference: write ${NAME} or ${NAME:-default}");
      const [, name, fallback] = parsed as unknown as [string, string, string | undefined];
      // Own properties only: `${toString}` must not resolve to Object.prototype.toString.
      const value = Object.hasOwn(env, name) && typeof env[name] === 'string' ? env[name] : undefined;
      // Shell semantics: `:-` also covers a variable that is set but empty.
      if (fallback !== undefined && !value) return fallback;
      if (value === undefined) return fail(`environment variable ${name} is not set`);
      return value;
    });

  const walk = (node: unknown, path: PathSegment[]): unknown => {
    if (typeof node === 'string') return substitute(node, path);
    if (Array.isArray(node)) return node.map((item, i) => walk(item, [...path, i]));
    if (isPlainObject(node)) {
      // fromEntries defines own properties, so a `__proto__` key stays a key (and is later rejected) rather
      // than replacing the prototype.
      return Object.fromEntries(Object.entries(node).map(([k, v]) => [k, walk(v, [...path, k])]));
    }
    return node;
  };

  return { value: walk(tree, []), problems, failedPaths, substitutedPaths };
}

function isPlainObject(v: unknown): v is Record<string, unknown> {
  if (typeof v !== 'object' || v === null) return false;
  const proto = Object.getPrototypeOf(v);
  return proto === Object.prototype || proto === null;
}
