import type { IncomingMessage, ServerResponse } from 'node:http';
import type { SimulatorCore } from './core.js';
import { BodyTooLargeError, readBody, sendError, sendJson, tryParseJson } from './http.js';

/**
 * Everything but the chat path: the control API (faults and stats at runtime, for docker-compose and
 * benchmarks that cannot reach the Simulator object), the model list and liveness.
 */
export async function handleOther(core: SimulatorCore, req: IncomingMessage, res: ServerResponse, path: string): Promise<void> {
  const route = `${req.method} ${path}`;
  switch (route) {
    case 'GET /healthz':
      return sendJson(res, 200, JSON.stringify({ status: 'ok', name: core.name }));
    case 'GET /v1/models':
      if (core.apiKey !== undefined && req.headers.authorization !== `Bearer ${core.apiKey}`) {
        return sendError(res, 401, 'Incorrect API key provided.');
      }
      return sendJson(res, 200, modelList(core));
    case 'GET /_control/faults':
      return sendJson(res, 200, JSON.stringify(core.spec));
    case 'PUT /_control/faults':
      return putFaults(core, req, res);
    case 'GET /_control/stats':
      return sendJson(res, 200, JSON.stringify(core.stats()));
    case 'POST /_control/reset':
      core.resetStats();
      return sendJson(res, 200, JSON.stringify(core.stats()));
  }
  const known = ['/healthz', '/v1/models', '/v1/chat/completions', '/v1/embeddings', '/v1/responses', '/_control/faults', '/_control/stats', '/_control/reset'];
  if (known.includes(path)) return sendError(res, 405, `method ${req.method} not allowed on ${path}`);
  sendError(res, 404, `no route for ${route}`);
}

function modelList(core: SimulatorCore): string {
  const names = core.models.size > 0 ? [...core.models] : ['sim-model'];
  const data = names.map((id) => ({ id, object: 'model', created: 0, owned_by: core.name }));
  return JSON.stringify({ object: 'list', data });
}

async function putFaults(core: SimulatorCore, req: IncomingMessage, res: ServerResponse): Promise<void> {
  let text: string;
  try {
    text = await readBody(req);
  } catch (err) {
    if (err instanceof BodyTooLargeError) sendError(res, 413, 'request body too large');
    return;
  }
  const parsed = tryParseJson(text);
  if (!parsed) return sendError(res, 400, 'the body is not valid JSON', 'body');
  try {
    core.setSpec(parsed.value);
  } catch (err) {
    if (err instanceof RangeError) return sendError(res, 400, err.message, 'faults');
    throw err;
  }
  sendJson(res, 200, JSON.stringify(core.spec));
}
