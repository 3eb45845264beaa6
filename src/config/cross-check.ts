import type { z } from 'zod';
import { DEFAULT_DEADLINE_MS, DEFAULT_TIMEOUT_MS, ID_PATTERN, MAX_TIMER_MS } from './defaults.js';

/*
 * The checks across fields of the configuration (references between sections, buckets that divide the
 * window, deadlines against timeouts), run by the schema's superRefine on a possibly half-invalid value.
 */

const isObject = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);
const isPositiveInt = (v: unknown): v is number => typeof v === 'number' && Number.isInteger(v) && v > 0;

/**
 * Runs on a possibly half-invalid value (see `when` below), hence the type guards: a field that already
 * failed is skipped rather than reported twice. Ids are looked up with `Object.hasOwn` because `in` would
 * accept `constructor` or `toString` as a provider. A referenced id is named only when it has the shape of an
 * id and is none of the config's secrets: someone may have pasted a key into the wrong field.
 */
/** Every string under a provider's `apiKey` and the server's keys: never echoed in a message. */
function secretValues(cfg: Record<string, unknown>): Set<string> {
  const out = new Set<string>();
  const add = (v: unknown) => (typeof v === 'string' ? out.add(v) : Array.isArray(v) ? v.forEach(add) : undefined);
  if (isObject(cfg.providers)) for (const p of Object.values(cfg.providers)) if (isObject(p)) add(p.apiKey);
  if (isObject(cfg.server)) [cfg.server.apiKeys, cfg.server.adminKey].forEach(add);
  return out;
}

export function crossCheck(cfg: unknown, ctx: z.RefinementCtx<unknown>): void {
  if (!isObject(cfg)) return;
  const { providers, endpoints, routes, breaker } = cfg;
  const issue = (path: (string | number)[], message: string) => ctx.addIssue({ code: 'custom', path, message });
  const secrets = secretValues(cfg);
  const named = (ref: string) => (ID_PATTERN.test(ref) && !secrets.has(ref) ? ` '${ref}'` : '');

  if (isObject(providers) && isObject(endpoints)) {
    for (const [id, ep] of Object.entries(endpoints)) {
      if (isObject(ep) && typeof ep.provider === 'string' && !Object.hasOwn(providers, ep.provider)) {
        issue(['endpoints', id, 'provider'], `unknown provider${named(ep.provider)}: not an id under providers`);
      }
      // Only the chat codec exists for the other wire formats; Azure classic deployments get only chat's path.
      const p = isObject(ep) && typeof ep.provider === 'string' && Object.hasOwn(providers, ep.provider) ? providers[ep.provider] : undefined;
      const chatOnly = isObject(p) && (p.type === 'anthropic' || p.type === 'gemini' || (p.type === 'azure' && p.apiVersion !== undefined));
      const ops = isObject(ep) ? ep.operations : undefined;
      if (chatOnly && Array.isArray(ops) && ops.some((o: unknown) => o !== 'chat')) {
        issue(['endpoints', id, 'operations'], `${p.type === 'azure' ? 'a classic azure (apiVersion)' : p.type === 'anthropic' ? 'an anthropic' : `a ${String(p.type)}`} endpoint serves chat only`);
      }
    }
  }
  if (isObject(routes)) {
    for (const [id, route] of Object.entries(routes)) {
      if (!isObject(route) || !Array.isArray(route.endpoints)) continue;
      const seen = new Map<unknown, number>();
      route.endpoints.forEach((ep: unknown, i) => {
        const path = ['routes', id, 'endpoints', i];
        if (typeof ep !== 'string') return;
        if (isObject(endpoints) && !Object.hasOwn(endpoints, ep)) issue(path, `unknown endpoint${named(ep)}: not an id under endpoints`);
        const first = seen.get(ep);
        if (first !== undefined) issue(path, `duplicate endpoint: already listed at index ${first}`);
        else seen.set(ep, i);
      });
    }
  }

  checkDeadlines(cfg, issue);

  const defaults = isObject(breaker) ? breaker : {};
  const checkBuckets = (b: Record<string, unknown>, path: (string | number)[]) => {
    const w = b.rollingWindowMs ?? defaults.rollingWindowMs;
    const n = b.rollingBuckets ?? defaults.rollingBuckets;
    if (isPositiveInt(w) && isPositiveInt(n) && w % n !== 0) {
      issue(path, `rollingWindowMs must divide evenly into ${n} buckets`);
    }
  };
  checkBuckets(defaults, ['breaker', 'rollingWindowMs']);
  if (isObject(endpoints)) {
    for (const [id, ep] of Object.entries(endpoints)) {
      // An override touching neither field inherits the top-level result, already reported above.
      const b = isObject(ep) && isObject(ep.breaker) ? ep.breaker : undefined;
      if (b && (b.rollingWindowMs !== undefined || b.rollingBuckets !== undefined)) {
        checkBuckets(b, ['endpoints', id, 'breaker', 'rollingWindowMs']);
      }
    }
  }
}

/** An attempt's own limit: for a stream, until its first chunk; plain, the whole attempt. */
const limitsOf = (ep: Record<string, unknown>): number[] =>
  [ep.timeoutMs ?? DEFAULT_TIMEOUT_MS, ep.firstTokenTimeoutMs].filter((v): v is number => isPositiveInt(v) && v <= MAX_TIMER_MS);

/**
 * A deadline shorter than an endpoint's timeout cuts every slow attempt as `cancelled` before the
 * endpoint's own timeout could call it, so a hanging endpoint would only be caught through watched attempts
 * (docs/attribution.md) and a fallback would never get its turn: refused, for each route and endpoint.
 */
function checkDeadlines(cfg: Record<string, unknown>, issue: (path: (string | number)[], message: string) => void): void {
  const { endpoints, routes, request } = cfg;
  if (!isObject(endpoints)) return;
  const global = isObject(request) && isPositiveInt(request.deadlineMs) ? request.deadlineMs : DEFAULT_DEADLINE_MS;
  const said = new Set<string>();
  const check = (deadline: number, ids: readonly unknown[], path: (string | number)[], what: string) => {
    for (const id of ids) {
      const ep = typeof id === 'string' && Object.hasOwn(endpoints, id) ? endpoints[id] : undefined;
      if (!isObject(ep)) continue;
      const limits = limitsOf(ep);
      const longest = limits.length ? Math.max(...limits) : 0;
      const message = `${what} (${deadline} ms) is shorter than endpoint ${id}'s timeout (${longest} ms): every slow attempt would be cut before its own timeout; raise the deadline or lower the timeout`;
      // One endpoint in several routes under the same request deadline is one problem.
      if (longest > deadline && !said.has(`${path.join('.')} ${message}`)) {
        said.add(`${path.join('.')} ${message}`);
        issue(path, message);
      }
    }
  };
  const routeIds = new Set<string>();
  if (isObject(routes)) {
    for (const [id, route] of Object.entries(routes)) {
      if (!isObject(route) || !Array.isArray(route.endpoints)) continue;
      routeIds.add(id);
      const own = isPositiveInt(route.deadlineMs);
      check(own ? (route.deadlineMs as number) : global, route.endpoints, own ? ['routes', id, 'deadlineMs'] : ['request', 'deadlineMs'], own ? 'the route\'s deadline' : 'request.deadlineMs');
    }
  }
  // Endpoints named directly are routes of one under the request deadline.
  check(global, Object.keys(endpoints).filter((id) => !routeIds.has(id)), ['request', 'deadlineMs'], 'request.deadlineMs');
}

