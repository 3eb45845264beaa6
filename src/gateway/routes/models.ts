import { Router as ExpressRouter } from 'express';
import type { CircuitSnapshot, RouteSnapshot, Router } from '../../router/types.js';
import { HttpError } from '../errors.js';
import { methodNotAllowed, READ_METHODS } from '../methods.js';

/*
 * The OpenAI list shape (`object: "list"`, items with id/object/created/owned_by) so SDK `models.list()`
 * works, plus Switchyard's own fields: whether the id is a route or an endpoint, its chain with each
 * circuit's state, and whether it admits traffic right now.
 */

export interface ModelEntry {
  id: string;
  object: 'model';
  created: number;
  owned_by: 'switchyard';
  kind: RouteSnapshot['kind'];
  available: boolean;
  endpoints: { id: string; provider: string; model: string; state: CircuitSnapshot['state'] }[];
}

function entries(router: Router, created: number): ModelEntry[] {
  const circuits = new Map(router.circuits().map((c) => [c.endpoint, c]));
  // Routes first: they are what callers are meant to name; endpoints follow as routes of one.
  const all = router.routes();
  const ordered = [...all.filter((r) => r.kind === 'route'), ...all.filter((r) => r.kind !== 'route')];
  return ordered.map((r) => ({
    id: r.id,
    object: 'model',
    created,
    owned_by: 'switchyard',
    kind: r.kind,
    available: r.available,
    endpoints: r.endpoints.map((id) => {
      const c = circuits.get(id);
      return { id, provider: c?.provider ?? '', model: c?.model ?? '', state: c?.state ?? 'closed' };
    }),
  }));
}

export function modelRoutes(router: Router): ExpressRouter {
  const created = Math.floor(Date.now() / 1000);
  const r = ExpressRouter();
  r.get('/models', (_req, res) => {
    res.json({ object: 'list', data: entries(router, created) });
  });
  r.get('/models/:id', (req, res) => {
    const found = entries(router, created).find((m) => m.id === req.params.id);
    if (!found) throw new HttpError(404, 'invalid_request_error', 'unknown_route', `unknown model or route '${req.params.id}'`, 'model');
    res.json(found);
  });
  r.all(['/models', '/models/:id'], methodNotAllowed(READ_METHODS));
  return r;
}
