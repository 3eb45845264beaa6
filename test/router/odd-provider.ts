import { createServer, type Server, type ServerResponse } from 'node:http';
import { createRouter } from '../../src/router/router.js';
import type { Router } from '../../src/router/types.js';
import { startSimulator, type Simulator } from '../../src/simulator/index.js';

/*
 * Answers the simulator has no fault for (a body that is JSON but not a completion, SSE events that are not
 * chunks...), from a provider of the test's own over real HTTP; the simulator stands behind it as the fallback.
 */

export type Answer = (res: ServerResponse) => void;

export interface OddRig {
  router: Router;
  fallback: Simulator;
  attempts: { endpoint: string; outcome: string; message?: string | undefined }[];
  close(): Promise<void>;
}

/** Route `chat` = the odd provider (endpoint `odd`) -> a healthy simulator (endpoint `fallback`). */
export async function oddRig(answer: Answer, transport: 'sdk' | 'native', endpoint: Record<string, unknown> = {}): Promise<OddRig> {
  const server: Server = createServer((req, res) => req.resume().on('end', () => answer(res)));
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const fallback = await startSimulator({});
  const router = createRouter(
    {
      providers: { odd: { baseURL: `http://127.0.0.1:${(server.address() as { port: number }).port}/v1` }, sim: { baseURL: fallback.url } },
      endpoints: { odd: { provider: 'odd', model: 'model-a', timeoutMs: 10_000, ...endpoint }, fallback: { provider: 'sim', model: 'model-b' } },
      routes: { chat: { endpoints: ['odd', 'fallback'] } },
    },
    { transport },
  );
  const attempts: OddRig['attempts'] = [];
  router.events.on('attempt:end', (a, r) => attempts.push({ endpoint: a.endpoint, outcome: r.outcome, message: r.message }));
  return {
    router,
    fallback,
    attempts,
    async close() {
      await router.close();
      server.closeAllConnections();
      await Promise.all([new Promise((r) => server.close(r)), fallback.close()]);
    },
  };
}

export const json = (body: string, headers: Record<string, string> = { 'content-type': 'application/json' }, status = 200): Answer => (res) =>
  res.writeHead(status, headers).end(body);

/** A 200 event stream of `data:` events; `end: false` leaves the response open after them. */
export const sse = (events: string[], end = true): Answer => (res) => {
  res.writeHead(200, { 'content-type': 'text/event-stream' });
  res.write(events.map((e) => `data: ${e}\n\n`).join(''));
  if (end) res.end();
};

export const completion = (content = 'hi') =>
  JSON.stringify({
    id: 'c',
    object: 'chat.completion',
    created: 0,
    model: 'model-a',
    choices: [{ index: 0, message: { role: 'assistant', content, refusal: null }, finish_reason: 'stop', logprobs: null }],
  });

export const chunk = (delta: object, finish: string | null = null, index = 0) =>
  JSON.stringify({ id: 'c', object: 'chat.completion.chunk', created: 0, model: 'model-a', choices: [{ index, delta, finish_reason: finish }] });
