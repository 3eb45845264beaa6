import { Router as ExpressRouter } from 'express';
import { modelsOf } from '../../router/client.js';
import type { Router, RouterModel } from '../../router/types.js';
import { HttpError } from '../errors.js';
import { methodNotAllowed, READ_METHODS } from '../methods.js';

/*
 * The OpenAI list shape (`object: "list"`, items with id/object/created/owned_by) so SDK `models.list()`
 * works, plus Switchyard's own fields: whether the id is a route or an endpoint, its chain with each
 * circuit's state, and whether it admits traffic right now.
 */

// The same entries as the library's `models.list()`.
const entries = (router: Router, created: number): RouterModel[] => modelsOf(router, created);

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
