import { request as httpRequest, Agent } from 'node:http';
import { gzipSync } from 'node:zlib';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { HELLO, onTheWire, post, startStack, type Stack } from './helpers.js';

/*
 * The chat route is served from node's request handler, not express: what express and body-parser used to
 * do for it (path matching, body forms, the limit, response framing) is pinned here over raw HTTP.
 */

let s: Stack;
let chat: string;
beforeAll(async () => {
  s = await startStack({ upstreams: { primary: {} }, server: { bodyLimitBytes: 2048 } });
  chat = `${s.url}/v1/chat/completions`;
});
afterAll(() => s.close());

const ask = JSON.stringify({ model: 'chat', messages: HELLO });

interface Raw {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  body: string;
  socket: unknown;
}

/**
 * One request on `agent`, the body written as given (a Buffer, or chunks sent without Content-Length), as JSON
 * unless `headers` say otherwise (a gateway without client keys refuses other types: browser.ts).
 */
function raw(path: string, body: Buffer | string[] | undefined, headers: Record<string, string> = {}, agent?: Agent): Promise<Raw> {
  return new Promise((resolve, reject) => {
    const all = { 'content-type': 'application/json', ...headers };
    const req = httpRequest(`${s.url}${path}`, { method: 'POST', headers: all, agent: agent ?? false }, (res) => {
      let text = '';
      res.setEncoding('utf8');
      res.on('data', (d: string) => (text += d));
      res.on('end', () => resolve({ status: res.statusCode!, headers: res.headers, body: text, socket: res.socket }));
    });
    req.on('error', reject);
    if (Array.isArray(body)) for (const chunk of body) req.write(chunk);
    else if (body) req.setHeader('content-length', body.length).write(body);
    req.end();
  });
}

const code = (r: Raw) => (JSON.parse(r.body) as { error: { code: string } }).error.code;

describe('the chat route without express', () => {
  it('answers with Content-Length (no chunked framing) and the JSON content type', async () => {
    const r = await raw('/v1/chat/completions', Buffer.from(ask));
    expect(r.status).toBe(200);
    expect(r.headers['content-type']).toBe('application/json; charset=utf-8');
    expect(Number(r.headers['content-length'])).toBe(Buffer.byteLength(r.body));
    expect(r.headers['transfer-encoding']).toBeUndefined();
    expect(r.headers['x-switchyard-endpoint']).toBe('primary');
    const bad = await raw('/v1/chat/completions', Buffer.from('{"model":'));
    expect(Number(bad.headers['content-length'])).toBe(Buffer.byteLength(bad.body));
  });

  it('matches the path as express did: any case, a trailing slash, a query string', async () => {
    for (const path of ['/V1/Chat/Completions', '/v1/chat/completions/', '/v1/chat/completions?x=1']) {
      const r = await raw(path, Buffer.from(ask));
      expect(r.status, path).toBe(200);
    }
    // Each logged at info (pino level 30) like any chat request, under the path as the client spelled it.
    await vi.waitFor(() => expect(s.logs.filter((l) => l.msg === 'request' && l.path !== '/v1/chat/completions').length).toBeGreaterThanOrEqual(2));
    const spelled = s.logs.filter((l) => l.msg === 'request' && ['/V1/Chat/Completions', '/v1/chat/completions/'].includes(String(l.path)));
    expect(spelled.map((l) => l.level)).toEqual([30, 30]);
    // A request target in absolute form, as some proxies forward it.
    const absolute = await new Promise<number | undefined>((resolve, reject) => {
      const { hostname, port } = new URL(s.url);
      const req = httpRequest({ host: hostname, port, method: 'POST', path: `${s.url}/v1/chat/completions?x=1`, headers: { 'content-type': 'application/json' } }, (res) => {
        res.resume().on('end', () => resolve(res.statusCode));
      });
      req.on('error', reject).end(ask);
    });
    expect(absolute).toBe(200);
    // GET is not served, POST to a longer path is no path at all.
    expect((await fetch(chat)).status).toBe(405);
    expect((await raw('/v1/chat/completions/more', Buffer.from(ask))).status).toBe(404);
  });

  it('reads a chunked body, a gzip body, a UTF-8 BOM and leading whitespace', async () => {
    expect((await raw('/v1/chat/completions', [ask.slice(0, 10), ask.slice(10)])).status).toBe(200);
    expect((await raw('/v1/chat/completions', gzipSync(ask), { 'content-encoding': 'gzip' })).status).toBe(200);
    expect((await raw('/v1/chat/completions', Buffer.from(`\ufeff${ask}`))).status).toBe(200);
    expect((await raw('/v1/chat/completions', Buffer.from(`\n  ${ask}`))).status).toBe(200);
  });

  it('rejects what body-parser rejected, with the same statuses and codes', async () => {
    const notObject = await raw('/v1/chat/completions', Buffer.from('"just a string"'));
    expect([notObject.status, code(notObject)]).toEqual([400, 'invalid_json']);
    // Neither Content-Length nor Transfer-Encoding: no body at all, which is not an object.
    const noBody = await onTheWire(s.url, 'POST /v1/chat/completions HTTP/1.1\r\nhost: x\r\ncontent-type: application/json\r\nconnection: close\r\n\r\n');
    expect(noBody).toMatch(/^HTTP\/1.1 400 [^]*"code":"invalid_request"/);
    const latin1 = await raw('/v1/chat/completions', Buffer.from(ask), { 'content-type': 'application/json; charset=latin1' });
    expect([latin1.status, code(latin1)]).toEqual([415, 'invalid_body']);
    const unknownEncoding = await raw('/v1/chat/completions', Buffer.from(ask), { 'content-encoding': 'compress' });
    expect([unknownEncoding.status, code(unknownEncoding)]).toEqual([415, 'invalid_body']);
    const bomb = gzipSync(JSON.stringify({ model: 'chat', messages: HELLO, pad: 'x'.repeat(10_000) }));
    const inflated = await raw('/v1/chat/completions', bomb, { 'content-encoding': 'gzip' });
    expect([inflated.status, code(inflated)]).toEqual([413, 'request_too_large']);
    const chunkedBig = await raw('/v1/chat/completions', Array.from({ length: 8 }, () => 'x'.repeat(1024)));
    expect([chunkedBig.status, code(chunkedBig)]).toEqual([413, 'request_too_large']);
  });

  it('reads off an over-limit body before answering 413, so the connection is reused', async () => {
    const agent = new Agent({ keepAlive: true, maxSockets: 1 });
    try {
      const big = await raw('/v1/chat/completions', Buffer.from('x'.repeat(64 * 1024)), {}, agent);
      expect(big.status).toBe(413);
      const next = await raw('/v1/chat/completions', Buffer.from(ask), {}, agent);
      expect(next.status).toBe(200);
      expect(next.socket).toBe(big.socket);
    } finally {
      agent.destroy();
    }
  });

  it('logs the error code of a request the gateway rejected itself', async () => {
    const res = await post(chat, JSON.stringify({ model: 'chat', messages: [] }));
    expect(res.status).toBe(400);
    const line = s.logs.filter((l) => l.msg === 'request' && l.status === 400).at(-1);
    expect(line).toMatchObject({ path: '/v1/chat/completions', outcome: 'client_error', code: 'invalid_value' });
  });
});

describe('a plain answer through the native transport', () => {
  it("reaches the client as the provider's own bytes (not serialised again), and through the SDK transport as the same JSON", async () => {
    // Odd but valid JSON: spacing, key order, escapes and non-ASCII a re-serialisation would change.
    const answer = '{ "object":"chat.completion", "id":"x1", "created":1, "model":"m",\n  "choices":[{"index":0,"message":{"role":"assistant","content":"h\\u00e9llo ✓"},"finish_reason":"stop"}] }';
    const { createServer } = await import('node:http');
    const provider = createServer((req, res) => req.resume().on('end', () => res.writeHead(200, { 'content-type': 'application/json' }).end(answer)));
    await new Promise<void>((r) => provider.listen(0, '127.0.0.1', r));
    const baseURL = `http://127.0.0.1:${(provider.address() as { port: number }).port}/v1`;
    const stack = await startStack({
      upstreams: {},
      extraProviders: { native: { baseURL, transport: 'native' }, sdk: { baseURL, transport: 'sdk' } },
      extraEndpoints: { native: { provider: 'native', model: 'm' }, sdk: { provider: 'sdk', model: 'm' } },
      routes: { native: { endpoints: ['native'] }, sdk: { endpoints: ['sdk'] } },
    });
    try {
      const send = (model: string) =>
        fetch(`${stack.url}/v1/chat/completions`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ model, messages: HELLO }) });
      const native = await send('native');
      expect(native.status).toBe(200);
      expect(await native.text()).toBe(answer);
      const sdk = await send('sdk');
      expect(await sdk.json()).toEqual(JSON.parse(answer));
    } finally {
      await stack.close();
      provider.close();
    }
  });
});
