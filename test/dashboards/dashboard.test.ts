import { mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  DashboardCursorSync,
  FieldColorModeId,
  MappingType,
  ThresholdsMode,
  VariableHide,
  VariableRefresh,
  VariableSort,
  type Dashboard,
  type VariableType,
} from '@grafana/schema';
import { afterAll, describe, expect, it } from 'vitest';
import { stringify } from 'yaml';
import dashboardJson from '../../dashboards/grafana/switchyard.json' with { type: 'json' };
import { dashboardPanels, dashboardQueries, substituteVariables } from '../../dashboards/queries.js';
import { ATTEMPT_OUTCOMES, CIRCUIT_STATES, metricNamesIn, readYaml, repoPath, REQUEST_OUTCOMES, runOk, SPEC_METRICS, specSeriesNames } from './helpers.js';

/*
 * Compile-time check against @grafana/schema. TypeScript widens the literals of an imported JSON file
 * (`"type": "query"` is typed `string`, not `"query"`), so the JSON cannot be assigned to `Dashboard` as is:
 * `JsonOf<Dashboard>` is the schema with exactly that widening (string enums and literal unions -> string,
 * numeric enums -> number) and nothing else relaxed: every required field, every field's shape (object,
 * array, number, string, boolean, null) is checked by `tsc --noEmit`. The enum values that widening lets
 * through are then checked at runtime below, against the enums @grafana/schema exports.
 */
type JsonOf<T> = T extends string
  ? string
  : T extends number
    ? number
    : T extends boolean
      ? boolean
      : T extends null | undefined
        ? T
        : T extends readonly (infer U)[]
          ? JsonOf<U>[]
          : T extends object
            ? { [K in keyof T]: JsonOf<T[K]> }
            : T;

// The compile-time assertion: fails `tsc --noEmit -p .` when the JSON does not fit the schema.
const asJson: JsonOf<Dashboard> = dashboardJson;
// Once the enum values are checked (below), the JSON is a `Dashboard`.
const dashboard = asJson as Dashboard;

const VARIABLE_TYPES = ['query', 'adhoc', 'groupby', 'constant', 'datasource', 'interval', 'textbox', 'custom', 'system', 'snapshot', 'switch'] as const satisfies readonly VariableType[];
const PANEL_TYPES = new Set(['row', 'timeseries', 'stat', 'state-timeline']);
const DATASOURCE = { type: 'prometheus', uid: '${datasource}' };

type Json = Record<string, unknown>;
const panels = dashboardPanels(dashboard) as Json[];
const dataPanels = panels.filter((p) => p.type !== 'row');
const targetsOf = (p: Json) => (p.targets ?? []) as Json[];
const allExprs = dataPanels.flatMap((p) => targetsOf(p).map((t) => ({ panel: String(p.title), expr: String(t.expr) })));

describe('Grafana dashboard JSON (dashboards/grafana/switchyard.json)', () => {
  it('is the only dashboard, or every dashboard is covered by these checks', () => {
    const files = readdirSync(repoPath('dashboards/grafana')).filter((f) => f.endsWith('.json'));
    expect(files).toEqual(['switchyard.json']);
  });

  it('uses only enum values that @grafana/schema defines (what the JSON widening leaves unchecked)', () => {
    expect(Object.values(DashboardCursorSync)).toContain(dashboard.graphTooltip);
    for (const v of dashboard.templating?.list ?? []) {
      expect(VARIABLE_TYPES, `variable ${v.name}`).toContain(v.type);
      if (v.refresh !== undefined) expect(Object.values(VariableRefresh), `variable ${v.name}`).toContain(v.refresh);
      if (v.hide !== undefined) expect(Object.values(VariableHide), `variable ${v.name}`).toContain(v.hide);
      if (v.sort !== undefined) expect(Object.values(VariableSort), `variable ${v.name}`).toContain(v.sort);
    }
    for (const p of panels) {
      const defaults = ((p.fieldConfig as Json | undefined)?.defaults ?? {}) as Json;
      const color = defaults.color as Json | undefined;
      if (color) expect(Object.values(FieldColorModeId), `panel ${p.title}`).toContain(color.mode);
      const thresholds = defaults.thresholds as Json | undefined;
      if (thresholds) {
        expect(Object.values(ThresholdsMode), `panel ${p.title}`).toContain(thresholds.mode);
        const steps = thresholds.steps as { value: number | null }[];
        expect(steps[0]!.value, `panel ${p.title}: first threshold step is -Infinity (null)`).toBeNull();
        const values = steps.slice(1).map((s) => s.value as number);
        expect(values, `panel ${p.title}: steps sorted`).toEqual([...values].sort((a, b) => a - b));
      }
      for (const m of (defaults.mappings ?? []) as Json[]) expect(Object.values(MappingType), `panel ${p.title}`).toContain(m.type);
    }
  });

  it('has an uid, a title and a schemaVersion Grafana migrates from', () => {
    expect(dashboard.uid).toBe('switchyard');
    expect(dashboard.title).toBeTruthy();
    expect(dashboard.schemaVersion).toBeGreaterThanOrEqual(36);
  });

  it('has unique positive integer panel ids', () => {
    const ids = panels.map((p) => p.id);
    for (const id of ids) expect(Number.isInteger(id) && (id as number) > 0, `panel id ${String(id)}`).toBe(true);
    expect(new Set(ids).size).toBe(ids.length);
  });

  it('lays every panel out on the 24-column grid without overlaps', () => {
    const boxes = panels.map((p) => ({ title: String(p.title), ...(p.gridPos as { x: number; y: number; w: number; h: number }) }));
    for (const b of boxes) {
      expect(b.x, b.title).toBeGreaterThanOrEqual(0);
      expect(b.y, b.title).toBeGreaterThanOrEqual(0);
      expect(b.w, b.title).toBeGreaterThan(0);
      expect(b.h, b.title).toBeGreaterThan(0);
      expect(b.x + b.w, `${b.title} fits in 24 columns`).toBeLessThanOrEqual(24);
    }
    for (const [i, a] of boxes.entries()) {
      for (const b of boxes.slice(i + 1)) {
        const overlap = a.x < b.x + b.w && b.x < a.x + a.w && a.y < b.y + b.h && b.y < a.y + a.h;
        expect(overlap, `"${a.title}" overlaps "${b.title}"`).toBe(false);
      }
    }
  });

  it('uses known panel types, each with a unique title, and rows only as section headers', () => {
    const titles = dataPanels.map((p) => p.title);
    expect(new Set(titles).size, 'panel titles name the queries in dashboardQueries: keep them unique').toBe(titles.length);
    for (const p of panels) {
      expect(PANEL_TYPES, `panel ${p.title}`).toContain(p.type);
      expect(typeof p.title === 'string' && p.title.length > 0).toBe(true);
      if (p.type === 'row') expect(p.targets).toBeUndefined();
    }
  });

  it('takes its Prometheus from the `datasource` variable everywhere, defaulting to the provisioned uid', () => {
    const variable = dashboard.templating?.list?.find((v) => v.name === 'datasource');
    expect(variable?.type).toBe('datasource');
    expect(variable?.query).toBe('prometheus');
    const provisioned = readYaml<{ datasources: { uid: string; type: string }[] }>('dashboards/grafana/provisioning/datasources/prometheus.yml');
    const prom = provisioned.datasources.find((d) => d.type === 'prometheus');
    expect((variable?.current as { value?: unknown } | undefined)?.value).toBe(prom?.uid);
    for (const p of dataPanels) {
      expect(p.datasource, `panel ${p.title}`).toEqual(DATASOURCE);
      for (const t of targetsOf(p)) expect(t.datasource, `panel ${p.title} target ${t.refId}`).toEqual(DATASOURCE);
    }
  });

  it('gives every data panel at least one target, each with a PromQL `expr` and a unique refId', () => {
    for (const p of dataPanels) {
      const targets = targetsOf(p);
      expect(targets.length, `panel ${p.title}`).toBeGreaterThan(0);
      for (const t of targets) expect(typeof t.expr === 'string' && t.expr.trim().length > 0, `panel ${p.title}`).toBe(true);
      const refIds = targets.map((t) => t.refId);
      expect(new Set(refIds).size, `panel ${p.title}`).toBe(refIds.length);
    }
  });

  it('has `route` and `endpoint` variables from label_values, multi-value with All = .*', () => {
    const vars = dashboard.templating?.list ?? [];
    for (const [name, metric] of [
      ['route', 'switchyard_requests_total'],
      ['endpoint', 'switchyard_circuit_state'],
    ] as const) {
      const v = vars.find((x) => x.name === name);
      expect(v, name).toBeDefined();
      expect(v!.type).toBe('query');
      expect(v!.datasource).toEqual(DATASOURCE);
      expect(v!.includeAll).toBe(true);
      expect(v!.multi).toBe(true);
      expect(v!.allValue).toBe('.*');
      const query = typeof v!.query === 'string' ? v!.query : (v!.query as { query?: string }).query;
      expect(query).toBe(`label_values(${metric}, ${name})`);
      expect(SPEC_METRICS[metric].labels as readonly string[]).toContain(name);
    }
  });

  it('matches template variables with =~ (multi-value selections become regex alternations)', () => {
    for (const { panel, expr } of allExprs) {
      for (const m of expr.matchAll(/(=~|!~|!=|=)\s*"\$\{?(\w+)/g)) {
        expect(m[1], `${panel}: ${m[0]}`).toBe('=~');
      }
    }
  });

  it('filters nothing out by value (no comparison operators outside label matchers)', () => {
    for (const { panel, expr } of allExprs) {
      const outside = expr.replace(/\{[^}]*\}/g, '{}');
      expect(outside, panel).not.toMatch(/[<>]|==|!=/);
    }
  });

  it('selects only the SPEC metrics, with SPEC labels, and shows every one of them', () => {
    const known = specSeriesNames();
    const used = new Set<string>();
    for (const { panel, expr } of allExprs) {
      for (const name of metricNamesIn(expr)) {
        expect(known, `${panel}: ${name}`).toContain(name);
        const base = name.replace(/_(bucket|sum|count)$/, '') as keyof typeof SPEC_METRICS;
        used.add(base in SPEC_METRICS ? base : (name as keyof typeof SPEC_METRICS));
      }
      // Label names in matchers and groupings belong to the metrics (plus `le` for histogram buckets).
      const labels = new Set<string>(['le']);
      for (const name of metricNamesIn(expr)) {
        const base = name.replace(/_(bucket|sum|count)$/, '') as keyof typeof SPEC_METRICS;
        for (const l of SPEC_METRICS[base]?.labels ?? []) labels.add(l);
      }
      for (const m of expr.matchAll(/\{([^}]*)\}/g)) {
        for (const matcher of m[1]!.split(',').filter((s) => s.trim())) {
          expect(labels, `${panel}: ${matcher}`).toContain(matcher.trim().split(/\s*(?:=~|!~|!=|=)/)[0]);
        }
      }
      for (const m of expr.matchAll(/\b(?:by|without|on|ignoring)\s*\(([^)]*)\)/g)) {
        for (const l of m[1]!.split(',').map((s) => s.trim()).filter(Boolean)) expect(labels, `${panel}: by (${l})`).toContain(l);
      }
    }
    expect([...used].sort()).toEqual(Object.keys(SPEC_METRICS).sort());
  });

  it('uses label values the SPEC defines', () => {
    const allowed: Record<string, readonly string[]> = {
      outcome: [...new Set<string>([...REQUEST_OUTCOMES, ...ATTEMPT_OUTCOMES])],
      state: CIRCUIT_STATES,
      to: CIRCUIT_STATES,
      type: ['input', 'output'],
    };
    for (const { panel, expr } of allExprs) {
      for (const m of expr.matchAll(/\b(outcome|state|type)\s*(=~|!~|=|!=)\s*"([^"]*)"/g)) {
        for (const value of m[3]!.split('|')) expect(allowed[m[1]!], `${panel}: ${m[0]}`).toContain(value);
      }
    }
  });

  it('computes quantiles over _bucket series, keeping `le`, at p50/p95/p99 for requests', () => {
    const quantiles = allExprs.filter((q) => q.expr.includes('histogram_quantile'));
    expect(quantiles.length).toBeGreaterThan(0);
    for (const { panel, expr } of quantiles) {
      expect(expr, panel).toMatch(/histogram_quantile\(\s*0\.\d+\s*,\s*sum by \([^)]*\ble\b[^)]*\)\s*\(rate\(switchyard_\w+_bucket\{/);
    }
    const requestQs = quantiles.filter((q) => q.expr.includes('switchyard_request_duration_seconds_bucket')).map((q) => q.expr.match(/histogram_quantile\((0\.\d+)/)![1]);
    expect(requestQs.sort()).toEqual(['0.5', '0.95', '0.99']);
  });

  it('shows the circuit state as a state timeline over switchyard_circuit_state with a mapping per state', () => {
    const timeline = dataPanels.find((p) => p.type === 'state-timeline');
    expect(timeline).toBeDefined();
    expect(String(targetsOf(timeline!)[0]!.expr)).toContain('switchyard_circuit_state');
    const mapping = (((timeline!.fieldConfig as Json).defaults as Json).mappings as { options: Record<string, { text: string }> }[])[0]!;
    expect(Object.values(mapping.options).map((o) => o.text)).toEqual(['closed', 'half-open', 'open']);
  });

  it('covers the panels the issue asks for', () => {
    const titles = dataPanels.map((p) => String(p.title).toLowerCase());
    for (const want of ['request rate', 'success ratio', 'fallback', 'latency p50 / p95 / p99', 'attempt outcomes', 'circuit state', 'transitions', 'short-circuits', 'time to first token', 'tokens']) {
      expect(titles.some((t) => t.includes(want)), want).toBe(true);
    }
  });
});

describe('dashboardQueries (dashboards/queries.ts)', () => {
  it('returns every target of every panel, variables substituted', () => {
    const qs = dashboardQueries(dashboard, { route: 'chat', endpoint: 'primary' });
    expect(qs.length).toBe(allExprs.length);
    for (const q of qs) {
      expect(q.expr).not.toMatch(/\$/);
      expect(q.panel).toBeTruthy();
    }
    expect(qs.some((q) => q.expr.includes('route=~"chat"'))).toBe(true);
    expect(qs.some((q) => q.expr.includes('endpoint=~"primary"'))).toBe(true);
    expect(qs.some((q) => q.expr.includes('[1m]'))).toBe(true);
    // Panels with several queries are told apart by refId.
    expect(qs.map((q) => q.panel)).toContain('Request latency p50 / p95 / p99 [C]');
    expect(new Set(qs.map((q) => q.panel)).size).toBe(qs.length);
  });

  it('falls back to the variables\' All value (.*) and lets the caller pick the intervals', () => {
    const qs = dashboardQueries(dashboard, { __rate_interval: '30s' });
    expect(qs.every((q) => !q.expr.includes('$'))).toBe(true);
    expect(qs.some((q) => q.expr.includes('route=~".*"'))).toBe(true);
    expect(qs.some((q) => q.expr.includes('[30s]'))).toBe(true);
    expect(qs.some((q) => q.expr.includes('[1m]'))).toBe(false);
  });

  it('substitutes every variable syntax Grafana has, longest names first', () => {
    const vars = { route: 'chat', __range: '5m', __range_s: '300', __interval: '15s' };
    expect(substituteVariables('a{route=~"$route"} b{route=~"${route}"} c{route=~"${route:regex}"} d{route=~"[[route]]"}', vars)).toBe(
      'a{route=~"chat"} b{route=~"chat"} c{route=~"chat"} d{route=~"chat"}',
    );
    expect(substituteVariables('x[$__range] / $__range_s + y[$__interval]', vars)).toBe('x[5m] / 300 + y[15s]');
    expect(() => substituteVariables('x{route=~"$routes"}', vars)).toThrow(/\$routes/);
    expect(() => substituteVariables('x{a=~"${nope}"}', vars)).toThrow(/nope/);
  });

  it('walks panels nested in collapsed rows and skips hidden queries', () => {
    const json = {
      panels: [
        { id: 1, type: 'row', title: 'r', collapsed: true, panels: [{ id: 2, type: 'stat', title: 'inner', targets: [{ refId: 'A', expr: 'up{job=~"$job"}' }] }] },
        { id: 3, type: 'timeseries', title: 'outer', targets: [{ refId: 'A', expr: 'x' }, { refId: 'B', expr: 'y', hide: true }, { refId: 'C' }] },
      ],
      templating: { list: [{ name: 'job', allValue: '.+' }] },
    };
    expect(dashboardQueries(json)).toEqual([
      { panel: 'inner', expr: 'up{job=~".+"}' },
      { panel: 'outer', expr: 'x' },
    ]);
  });
});

/*
 * Every panel query evaluated by Prometheus' own engine (promtool test rules) against synthetic series for
 * every SPEC metric and label value, as a gateway with traffic on route chat (primary -> fallback) exposes
 * them: it must parse, and return at least one sample. The end-to-end test does the same against a real
 * gateway and Prometheus.
 */
describe('dashboard queries evaluated by promtool', () => {
  const dir = mkdtempSync(join(tmpdir(), 'switchyard-dash-'));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  function syntheticSeries(): { series: string; values: string }[] {
    const out: { series: string; values: string }[] = [];
    const counter = (name: string, labels: Record<string, string>, step: number) =>
      out.push({ series: `${name}{${Object.entries(labels).map(([k, v]) => `${k}="${v}"`).join(',')}}`, values: `0+${step}x40` });
    const histogram = (name: string, labels: Record<string, string>) => {
      const les = ['0.1', '1', '10', '+Inf'];
      les.forEach((le, i) => counter(`${name}_bucket`, { ...labels, le }, i + 1));
      counter(`${name}_count`, labels, les.length);
      counter(`${name}_sum`, labels, 3);
    };
    const base = { job: 'switchyard', instance: 'gateway:8080' };
    const route = 'chat';
    const endpoints = ['primary', 'fallback'];
    for (const outcome of REQUEST_OUTCOMES) {
      counter('switchyard_requests_total', { ...base, route, outcome }, 2);
      histogram('switchyard_request_duration_seconds', { ...base, route, outcome });
    }
    for (const endpoint of endpoints) {
      for (const outcome of ATTEMPT_OUTCOMES) {
        counter('switchyard_attempts_total', { ...base, route, endpoint, outcome }, 1);
        histogram('switchyard_attempt_duration_seconds', { ...base, endpoint, outcome });
      }
      counter('switchyard_short_circuits_total', { ...base, route, endpoint }, 1);
      counter('switchyard_skips_total', { ...base, route, endpoint, reason: 'open' }, 1);
      counter('switchyard_skips_total', { ...base, route, endpoint, reason: 'unsupported' }, 1);
      for (const state of CIRCUIT_STATES) {
        out.push({ series: `switchyard_circuit_state{job="switchyard",instance="gateway:8080",endpoint="${endpoint}",state="${state}"}`, values: state === 'closed' ? '1x40' : '0x40' });
        counter('switchyard_circuit_transitions_total', { ...base, endpoint, to: state }, 1);
      }
      histogram('switchyard_time_to_first_token_seconds', { ...base, endpoint });
      for (const type of ['input', 'output']) counter('switchyard_tokens_total', { ...base, endpoint, type }, 50);
      counter('switchyard_charges_total', { ...base, endpoint, verdict: 'charged', reason: 'provider_fault' }, 1);
      counter('switchyard_charges_total', { ...base, endpoint, verdict: 'spared', reason: 'request_fault' }, 1);
    }
    counter('switchyard_fallbacks_total', { ...base, route, from: 'primary', to: 'fallback' }, 1);
    out.push({ series: 'switchyard_state_store_up{job="switchyard",instance="gateway:8080"}', values: '1x40' });
    out.push({ series: 'switchyard_state_store_lag_seconds{job="switchyard",instance="gateway:8080"}', values: '0.2x40' });
    return out;
  }

  for (const [label, vars] of [
    ['All (.*)', {}],
    ['route=chat, endpoint=primary', { route: 'chat', endpoint: 'primary' }],
  ] as const) {
    it(`every panel query returns data with ${label}`, () => {
      const queries = dashboardQueries(dashboard, vars);
      const test = {
        rule_files: [],
        evaluation_interval: '15s',
        tests: [
          {
            interval: '15s',
            input_series: syntheticSeries(),
            promql_expr_test: queries.map((q) => ({
              // count() of an empty result is empty: "no data" fails the comparison with 1.
              expr: `count(${q.expr}) > bool 0`,
              eval_time: '8m',
              exp_samples: [{ labels: '{}', value: 1 }],
            })),
          },
        ],
      };
      const file = join(dir, `dashboard-${label.replace(/\W+/g, '_')}.test.yml`);
      writeFileSync(file, stringify(test));
      runOk('promtool', ['test', 'rules', file]);
    });
  }
});
