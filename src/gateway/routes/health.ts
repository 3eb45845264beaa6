import { Router as ExpressRouter } from 'express';
import type { Router } from '../../router/types.js';
import { methodNotAllowed, READ_METHODS } from '../methods.js';

export interface Readiness {
  ready: boolean;
  /** Routes (or, with no routes configured, endpoints) with at least one endpoint whose circuit is not open. */
  available: string[];
  unavailable: string[];
  draining: boolean;
}

/** Ready while some route can still be served without waiting on an open circuit. */
export function readiness(router: Router, draining: boolean): Readiness {
  // routes() reads circuit states only: no window statistics on an unauthenticated probe path.
  const all = router.routes();
  const routes = all.some((r) => r.kind === 'route') ? all.filter((r) => r.kind === 'route') : all;
  const available: string[] = [];
  const unavailable: string[] = [];
  for (const r of routes) {
    (r.available ? available : unavailable).push(r.id);
  }
  return { ready: !draining && available.length > 0, available, unavailable, draining };
}

export function healthRoutes(router: Router, isDraining: () => boolean): ExpressRouter {
  const r = ExpressRouter();
  // Liveness says only that the process answers; an outage upstream must not get the gateway restarted.
  r.get('/healthz', (_req, res) => {
    res.json({ status: 'ok' });
  });
  // During shutdown readiness goes false first, so load balancers stop sending before the listener closes.
  r.get('/readyz', (_req, res) => {
    const r = readiness(router, isDraining());
    res.status(r.ready ? 200 : 503).json({ status: r.ready ? 'ready' : 'unavailable', ...r });
  });
  r.all(['/healthz', '/readyz'], methodNotAllowed(READ_METHODS));
  return r;
}
