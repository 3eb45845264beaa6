import { Router as ExpressRouter, type Request } from 'express';
import type { Logger } from 'pino';
import type { CircuitSnapshot, Router } from '../../router/types.js';
import { requireAdminKey } from '../auth.js';
import { HttpError } from '../errors.js';
import { methodNotAllowed, READ_METHODS } from '../methods.js';

/*
 * Circuit snapshots hold ids, states, counts and times only (no provider URL or key), so they are returned
 * as the router gives them, with ISO copies of the epoch times for humans reading curl output.
 */

const iso = (ms: number | undefined) => (ms === undefined ? undefined : new Date(ms).toISOString());

export function describeCircuit(c: CircuitSnapshot): Record<string, unknown> {
  return {
    endpoint: c.endpoint,
    provider: c.provider,
    model: c.model,
    state: c.state,
    ...(c.source ? { source: c.source } : {}),
    ...(c.forced ? { forced: c.forced } : {}),
    window: c.window,
    failureRate: c.failureRate,
    consecutiveTrips: c.consecutiveTrips,
    inFlight: c.inFlight,
    ...(c.maxConcurrent !== undefined ? { maxConcurrent: c.maxConcurrent } : {}),
    openedAt: iso(c.openedAt),
    nextProbeAt: iso(c.nextProbeAt),
    retryAfterUntil: iso(c.retryAfterUntil),
  };
}

const ACTIONS = {
  open: (r: Router, id: string) => r.forceOpen(id),
  close: (r: Router, id: string) => r.forceClose(id),
  reset: (r: Router, id: string) => r.reset(id),
} as const;

export function adminRoutes(router: Router, adminKey: string | undefined, logger: Logger): ExpressRouter {
  const r = ExpressRouter();
  const find = (req: Request): CircuitSnapshot => {
    const id = String(req.params.endpoint);
    const c = router.circuits().find((x) => x.endpoint === id);
    if (!c) throw new HttpError(404, 'not_found_error', 'unknown_endpoint', `unknown endpoint '${id}'`);
    return c;
  };

  r.get('/circuits', requireAdminKey(adminKey, 'read'), (_req, res) => {
    res.json({ circuits: router.circuits().map(describeCircuit) });
  });
  r.get('/circuits/:endpoint', requireAdminKey(adminKey, 'read'), (req, res) => {
    res.json({ circuit: describeCircuit(find(req)) });
  });
  for (const action of Object.keys(ACTIONS) as (keyof typeof ACTIONS)[]) {
    r.post(`/circuits/:endpoint/${action}`, requireAdminKey(adminKey, 'write'), (req, res) => {
      const before = find(req);
      ACTIONS[action](router, before.endpoint);
      const after = router.circuits().find((x) => x.endpoint === before.endpoint) ?? before;
      logger.info({ event: 'admin', action, endpoint: before.endpoint, from: before.state, to: after.state }, `admin ${action} ${before.endpoint}`);
      res.json({ circuit: describeCircuit(after) });
    });
  }
  // Behind the admin key when one is set, like every /admin/* call.
  r.all(['/circuits', '/circuits/:endpoint'], requireAdminKey(adminKey, 'read'), methodNotAllowed(READ_METHODS));
  const writes = Object.keys(ACTIONS).map((action) => `/circuits/:endpoint/${action}`);
  r.all(writes, requireAdminKey(adminKey, 'read'), methodNotAllowed('POST'));
  return r;
}
