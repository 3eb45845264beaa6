import type { IncomingMessage, ServerResponse } from 'node:http';
import { handleChat } from './chat.js';
import { handleEmbeddings } from './embeddings.js';
import { handleResponses } from './responses-api.js';
import type { SimulatorCore } from './core.js';
import { sendError } from './http.js';

/*
 * Azure OpenAI's chat paths: classic `/openai/deployments/{deployment}/chat/completions?api-version=…` and
 * the v1 API `/openai/v1/chat/completions` (no api-version). The key comes in `api-key`; a Bearer
 * Authorization is refused (it would mean a client sent the key the OpenAI way). Past those checks it is the
 * OpenAI API (chat; embeddings and responses under /openai/v1), answered by the same handlers and faults.
 */

/** Whether `path` is one of Azure's chat paths; the deployment for a classic one. */
export function azureRoute(path: string): { deployment?: string; operation?: 'embeddings' | 'responses' } | undefined {
  if (path === '/openai/v1/chat/completions') return {};
  // The v1 API's other operations.
  if (path === '/openai/v1/embeddings') return { operation: 'embeddings' };
  if (path === '/openai/v1/responses') return { operation: 'responses' };
  const m = /^\/openai\/deployments\/([^/]+)\/chat\/completions$/.exec(path);
  return m ? { deployment: decodeURIComponent(m[1]!) } : undefined;
}

export async function handleAzure(core: SimulatorCore, req: IncomingMessage, res: ServerResponse, path: string): Promise<void> {
  const route = azureRoute(path)!;
  const query = new URLSearchParams((req.url ?? '').split('?')[1] ?? '');
  const version = query.get('api-version');
  if (route.deployment !== undefined && !version) return sendError(res, 404, 'Resource not found (classic deployments need ?api-version=)', null, undefined, '404');
  if (route.deployment === undefined && version) return sendError(res, 400, 'the v1 API takes no api-version', 'api-version', undefined, 'BadRequest');
  if (req.headers.authorization !== undefined) return sendError(res, 401, 'Azure OpenAI takes its key in the api-key header', null, undefined, '401');
  const key = req.headers['api-key'];
  // The shared admission checks the Bearer form: the api-key stands in for it.
  if (typeof key === 'string') req.headers.authorization = `Bearer ${key}`;
  if (route.deployment !== undefined) core.seeModel(`deployment:${route.deployment}`);
  if (route.operation === 'embeddings') return handleEmbeddings(core, req, res);
  if (route.operation === 'responses') return handleResponses(core, req, res);
  return handleChat(core, req, res);
}
