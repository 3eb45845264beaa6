import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parse as parseYaml } from 'yaml';

export const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '../..');
export const repoPath = (...parts: string[]): string => join(ROOT, ...parts);
export const readText = (rel: string): string => readFileSync(repoPath(rel), 'utf8');
export const readYaml = <T = unknown>(rel: string): T => parseYaml(readText(rel)) as T;

/** The SPEC's metrics (SPEC.md, "Prometheus metrics"), with their type and labels. The contract. */
export const SPEC_METRICS = {
  switchyard_requests_total: { type: 'counter', labels: ['route', 'outcome'] },
  switchyard_request_duration_seconds: { type: 'histogram', labels: ['route', 'outcome'] },
  switchyard_attempts_total: { type: 'counter', labels: ['route', 'endpoint', 'outcome'] },
  switchyard_attempt_duration_seconds: { type: 'histogram', labels: ['endpoint', 'outcome'] },
  switchyard_short_circuits_total: { type: 'counter', labels: ['route', 'endpoint'] },
  switchyard_fallbacks_total: { type: 'counter', labels: ['route', 'from', 'to'] },
  switchyard_circuit_state: { type: 'gauge', labels: ['endpoint', 'state'] },
  switchyard_circuit_transitions_total: { type: 'counter', labels: ['endpoint', 'to'] },
  switchyard_time_to_first_token_seconds: { type: 'histogram', labels: ['endpoint'] },
  switchyard_tokens_total: { type: 'counter', labels: ['endpoint', 'type'] },
  // Beyond SPEC.md's table, documented in docs/attribution.md: what each circuit was charged and spared.
  switchyard_charges_total: { type: 'counter', labels: ['endpoint', 'verdict', 'reason'] },
  switchyard_skips_total: { type: 'counter', labels: ['route', 'endpoint', 'reason'] },
  switchyard_state_store_up: { type: 'gauge', labels: [] },
  // Beyond SPEC.md's table, documented in docs/shared-state.md: the age of a replica's view of the fleet.
  switchyard_state_store_lag_seconds: { type: 'gauge', labels: [] },
} as const;

export type SpecMetric = keyof typeof SPEC_METRICS;

// Written out again from SPEC.md on purpose, not imported from src/: these lists are the oracle that the
// shipped dashboards, rules and src/ are checked against, so a drift in src/ cannot hide itself.
export const REQUEST_OUTCOMES = ['success', 'client_error', 'failed', 'unavailable', 'timeout', 'cancelled'] as const;
export const ATTEMPT_OUTCOMES = [
  'success',
  'server_error',
  'rate_limited',
  'auth_error',
  'timeout',
  'connection_error',
  'invalid_response',
  'quota_exhausted',
  'client_error',
  'local_error',
  'cancelled',
] as const;
export const CIRCUIT_STATES = ['closed', 'open', 'half_open'] as const;

/** Every series name a query may select: SPEC metrics, plus _bucket/_sum/_count of the histograms. */
export function specSeriesNames(): Set<string> {
  const names = new Set<string>();
  for (const [name, def] of Object.entries(SPEC_METRICS)) {
    names.add(name);
    if (def.type === 'histogram') for (const s of ['_bucket', '_sum', '_count']) names.add(name + s);
  }
  return names;
}

const PROMQL_WORDS = new Set([
  'by', 'without', 'on', 'ignoring', 'group_left', 'group_right', 'bool', 'and', 'or', 'unless', 'offset',
]);

/**
 * Metric (series) names a PromQL expression selects: identifiers directly followed by a label matcher `{` or a
 * range `[`, and any `switchyard...` identifier wherever it appears (so a bare `switchyard_x` is caught too).
 * String literals are removed first so label values are never mistaken for names.
 */
export function metricNamesIn(expr: string): string[] {
  const noStrings = expr.replace(/"(?:[^"\\]|\\.)*"|'(?:[^'\\]|\\.)*'|`[^`]*`/g, '""');
  const noMatchers = noStrings.replace(/\{[^}]*\}/g, '{}');
  const names = new Set<string>();
  for (const m of noMatchers.matchAll(/([A-Za-z_:][A-Za-z0-9_:]*)\s*(?=[{[])/g)) {
    if (!PROMQL_WORDS.has(m[1]!)) names.add(m[1]!);
  }
  for (const m of noMatchers.matchAll(/\bswitchyard[A-Za-z0-9_:]*/g)) names.add(m[0]);
  return [...names];
}

export interface RunResult {
  status: number | null;
  stdout: string;
  stderr: string;
}

const INSTALL_HINTS: Record<string, string> = {
  promtool: 'apt-get install -y --no-install-recommends prometheus',
  'docker-compose': 'apt-get install -y --no-install-recommends docker-compose',
  amtool: 'apt-get install -y --no-install-recommends prometheus-alertmanager',
};

export function hasTool(name: string): boolean {
  return spawnSync('sh', ['-c', `command -v ${name}`], { encoding: 'utf8' }).status === 0;
}

/** Runs a tool that CI must have: a missing tool fails the test with how to install it, never skips it. */
export function run(tool: string, args: string[], opts: { cwd?: string } = {}): RunResult {
  if (!hasTool(tool)) {
    throw new Error(`${tool} is not installed, and this check needs it: ${INSTALL_HINTS[tool] ?? `install ${tool}`}`);
  }
  const r = spawnSync(tool, args, { cwd: opts.cwd ?? ROOT, encoding: 'utf8', timeout: 60_000 });
  if (r.error) throw r.error;
  return { status: r.status, stdout: r.stdout, stderr: r.stderr };
}

/** Runs a tool and fails with its whole output unless it exits 0. */
export function runOk(tool: string, args: string[], opts: { cwd?: string } = {}): RunResult {
  const r = run(tool, args, opts);
  if (r.status !== 0) {
    throw new Error(`${tool} ${args.join(' ')} exited ${r.status}\n--- stdout\n${r.stdout}\n--- stderr\n${r.stderr}`);
  }
  return r;
}
