import { createServer, type IncomingHttpHeaders, type Server } from 'node:http';
import { afterEach, describe, expect, it } from 'vitest';
import { parseConfig } from '../../src/config/load.js';
import { CancelSource } from '../../src/endpoint/cancellation.js';
import { buildEndpoints } from '../../src/endpoint/endpoint.js';
import { JsonAnswer } from '../../src/endpoint/transport.js';

let server: Server | undefined;
afterEach(async () => {
  await new Promise((r) => (server ? server.close(r) : r(undefined)));
  server = undefined;
});

const completion = { id: 'c', object: 'chat.completion', created: 0, model: 'm', choices: [] };

/** A provider that answers every call and keeps the headers it was sent. */
async function provider(): Promise<{ baseURL: string; seen: IncomingHttpHeaders[] }> {
  const seen: IncomingHttpHeaders[] = [];
  server = createServer((req, res) => {
    seen.push(req.headers);
    req.resume().on('end', () => res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify(completion)));
  });
  await new Promise<void>((r) => server!.listen(0, '127.0.0.1', r));
  return { baseURL: `http://127.0.0.1:${(server.address() as { port: number }).port}/v1`, seen };
}

async function callOnce(baseURL: string, opts: Parameters<typeof buildEndpoints>[1], transport?: 'sdk' | 'native') {
  const cfg = parseConfig({
    providers: { p: { baseURL, apiKey: 'sk-test', ...(transport ? { transport } : {}) } },
    endpoints: { e: { provider: 'p', model: 'm' } },
    routes: {},
  });
  const ep = buildEndpoints(cfg, opts).get('e')!;
  try {
    return await ep.complete({ model: 'ignored', messages: [{ role: 'user', content: 'hi' }] }, new CancelSource());
  } finally {
    ep.close();
  }
}

// The SDK client announces itself (user-agent OpenAI/JS, x-stainless-*); the native transport does not.
const viaSdk = (h: IncomingHttpHeaders) => String(h['user-agent']).startsWith('OpenAI/JS') && h['x-stainless-lang'] === 'js';

describe('buildEndpoints: which transport a provider gets', () => {
  it('is the native transport by default (the answer keeps its bytes), with the provider key sent', async () => {
    const { baseURL, seen } = await provider();
    const answer = await callOnce(baseURL, {});
    expect(answer).toBeInstanceOf(JsonAnswer);
    expect(viaSdk(seen[0]!)).toBe(false);
    expect(seen[0]!.authorization).toBe('Bearer sk-test');
  });

  it('is the SDK client when a fetch is given (and the fetch is called), or when asked for', async () => {
    const { baseURL, seen } = await provider();
    let fetched = 0;
    const counted: typeof fetch = (input, init) => {
      fetched++;
      return fetch(input, init);
    };
    expect(await callOnce(baseURL, { fetch: counted })).toEqual(completion);
    expect(fetched).toBe(1);
    expect(await callOnce(baseURL, { transport: 'sdk' })).toEqual(completion);
    expect(seen.map(viaSdk)).toEqual([true, true]);
  });

  it("follows the provider's own transport over the router's option", async () => {
    const { baseURL, seen } = await provider();
    await callOnce(baseURL, { transport: 'native' }, 'sdk');
    await callOnce(baseURL, { transport: 'sdk' }, 'native');
    expect(seen.map(viaSdk)).toEqual([true, false]);
  });
});
