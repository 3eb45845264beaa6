import { createServer, type IncomingHttpHeaders, type Server } from 'node:http';
import { afterEach, describe, expect, it } from 'vitest';
import { createRouter } from '../../src/router/router.js';

let server: Server | undefined;
afterEach(async () => {
  await new Promise<void>((resolve) => (server ? server.close(() => resolve()) : resolve()));
  server = undefined;
});

/** A local OpenAI-compatible server that records the headers it was sent. */
async function recording(seen: IncomingHttpHeaders[]): Promise<string> {
  server = createServer((req, res) => {
    seen.push(req.headers);
    req.resume();
    req.on('end', () => {
      res.writeHead(200, { 'content-type': 'application/json' });
      res.end(JSON.stringify({ id: 'c', object: 'chat.completion', created: 1, model: 'm', choices: [{ index: 0, message: { role: 'assistant', content: 'ok' }, finish_reason: 'stop' }] }));
    });
  });
  await new Promise<void>((resolve) => server!.listen(0, '127.0.0.1', () => resolve()));
  const a = server.address();
  return `http://127.0.0.1:${typeof a === 'object' && a ? a.port : 0}/v1`;
}

describe.each(['sdk', 'native'] as const)('a provider with no apiKey, %s transport', (transport) => {
  it('is sent no Authorization header at all (was `Bearer no-key` on the sdk transport)', async () => {
    const seen: IncomingHttpHeaders[] = [];
    const url = await recording(seen);
    const router = createRouter({ providers: { local: { baseURL: url, transport } }, endpoints: { e: { provider: 'local', model: 'm' } }, routes: { chat: { endpoints: ['e'] } } });
    try {
      await router.dispatch({ model: 'chat', messages: [{ role: 'user', content: 'hi' }] });
      expect(seen).toHaveLength(1);
      expect(seen[0]!.authorization).toBeUndefined();
    } finally {
      await router.close();
    }
  });
});
