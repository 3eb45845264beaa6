import { Router as ExpressRouter } from 'express';
import type { EmbeddingCreateParams } from 'openai/resources/embeddings';
import type { Router } from '../../router/types.js';
import { methodNotAllowed } from '../methods.js';
import { apiRoute, invalid, requireModel, type ApiRouteOptions } from './api-call.js';

export const EMBEDDINGS_PATH = '/v1/embeddings';

/** Only what picks the route is checked here; the provider judges the rest (its 400 comes back as is). */
function check(body: unknown): EmbeddingCreateParams {
  const b = requireModel(body);
  if (b.input === undefined || b.input === null) throw invalid("missing required parameter: 'input'", 'input');
  return b as unknown as EmbeddingCreateParams;
}

/** POST /v1/embeddings through the router (mounted under /v1). */
export function embeddingsRoutes(router: Router, opts: ApiRouteOptions): ExpressRouter {
  const r = ExpressRouter();
  r.post('/embeddings', apiRoute(opts, check, (params, o) => router.dispatchEmbeddings(params, o)));
  r.all('/embeddings', methodNotAllowed('POST'));
  return r;
}
