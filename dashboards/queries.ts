/*
 * Extracts the PromQL of every panel of a Grafana dashboard, with template variables substituted, so tests
 * can run each expression against a real (or promtool's) Prometheus. Dependency-free on purpose: it is used
 * by the dashboard checks here and by the end-to-end test of the gateway.
 */

export interface DashboardQuery {
  /** Panel title; with ` [refId]` appended when the panel has more than one query. */
  panel: string;
  /** The PromQL, every variable substituted. */
  expr: string;
}

/**
 * What Grafana's built-in interval variables become when no value is given. `1m` suits a 10-15 s scrape
 * (Grafana's own $__rate_interval is at least four scrape intervals).
 */
export const BUILTIN_VARIABLE_DEFAULTS: Readonly<Record<string, string>> = {
  __rate_interval: '1m',
  __interval: '1m',
  __interval_ms: '60000',
  __range: '5m',
  __range_s: '300',
  __range_ms: '300000',
};

interface TemplateVariable {
  name: string;
  allValue?: string;
}

interface TargetLike {
  expr?: unknown;
  refId?: unknown;
  hide?: unknown;
}

interface PanelLike {
  title?: unknown;
  type?: unknown;
  targets?: unknown;
  panels?: unknown;
}

function asArray(v: unknown): unknown[] {
  return Array.isArray(v) ? v : [];
}

function isObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

/** Every panel of a dashboard, the ones nested in (collapsed) rows included, in document order. */
export function dashboardPanels(json: unknown): Record<string, unknown>[] {
  const out: Record<string, unknown>[] = [];
  const walk = (panels: unknown): void => {
    for (const p of asArray(panels)) {
      if (!isObject(p)) continue;
      out.push(p);
      walk((p as PanelLike).panels);
    }
  };
  if (isObject(json)) walk(json.panels);
  return out;
}

function templateVariables(json: unknown): TemplateVariable[] {
  if (!isObject(json) || !isObject(json.templating)) return [];
  return asArray(json.templating.list).filter(
    (v): v is TemplateVariable => isObject(v) && typeof v.name === 'string',
  );
}

const escapeRegExp = (s: string): string => s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');

/**
 * Substitutes `$name`, `${name}`, `${name:format}` and `[[name]]` for each variable (longest names first,
 * so `$__range_s` is not read as `$__range` + `_s`). Throws when a `$variable` is left over.
 */
export function substituteVariables(expr: string, vars: Readonly<Record<string, string | undefined>>): string {
  let out = expr;
  const names = Object.keys(vars).sort((a, b) => b.length - a.length);
  for (const name of names) {
    const value = vars[name];
    if (value === undefined) continue;
    const n = escapeRegExp(name);
    out = out
      .replace(new RegExp(`\\$\\{${n}(?::[^}]*)?\\}`, 'g'), () => value)
      .replace(new RegExp(`\\[\\[${n}(?::[^\\]]*)?\\]\\]`, 'g'), () => value)
      .replace(new RegExp(`\\$${n}(?![A-Za-z0-9_])`, 'g'), () => value);
  }
  const left = out.match(/\$\{[^}]*\}|\$[A-Za-z_][A-Za-z0-9_]*|\[\[[^\]]*\]\]/g);
  if (left) throw new Error(`unsubstituted template variable(s) ${[...new Set(left)].join(', ')} in: ${out}`);
  return out;
}

/**
 * Every PromQL expression of every panel (hidden queries excluded), with template variables substituted.
 * Variable values come from `vars` first (an `undefined` value counts as not given), then Grafana's
 * built-ins (`BUILTIN_VARIABLE_DEFAULTS`), then a dashboard variable's own `allValue` (what "All" means,
 * e.g. `.*`). Throws on an expression that still holds a variable afterwards, so a caller never sends
 * Grafana syntax to Prometheus. Values are inserted as given: for a `=~` matcher, a regex.
 */
export function dashboardQueries(json: unknown, vars: Readonly<Record<string, string | undefined>> = {}): DashboardQuery[] {
  const values: Record<string, string> = {};
  for (const v of templateVariables(json)) if (typeof v.allValue === 'string') values[v.name] = v.allValue;
  Object.assign(values, BUILTIN_VARIABLE_DEFAULTS);
  for (const [name, value] of Object.entries(vars)) if (value !== undefined) values[name] = value;

  const out: DashboardQuery[] = [];
  for (const panel of dashboardPanels(json)) {
    const targets = asArray((panel as PanelLike).targets).filter(
      (t): t is TargetLike => isObject(t) && typeof t.expr === 'string' && t.expr.trim() !== '' && t.hide !== true,
    );
    const title = typeof panel.title === 'string' ? panel.title : `panel ${String(panel.id)}`;
    targets.forEach((t, i) => {
      const ref = typeof t.refId === 'string' ? t.refId : String.fromCharCode(65 + i);
      out.push({
        panel: targets.length > 1 ? `${title} [${ref}]` : title,
        expr: substituteVariables(t.expr as string, values),
      });
    });
  }
  return out;
}
