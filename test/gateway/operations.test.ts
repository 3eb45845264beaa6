import OpenAI, { APIError, InternalServerError } from 'openai';
import { describe, expect, it } from 'vitest';
import { HELLO, post, stackPerTest } from './helpers.js';

// POST /v1/responses and POST /v1/embeddings through the gateway, with the real openai SDK.

const start = stackPerTest();

describe('POST /v1/embeddings', () => {
  it('answers through the route, falling back, with the x-switchyard headers', async () => {
    const s = await start({ upstreams: { primary: { always: { kind: 'status', status: 500 } }, fallback: {} } });
    const { data, response } = await s.client().embeddings.create({ model: 'chat', input: ['a', 'b'] }).withResponse();
    // The SDK asks for base64 and decodes it: the gateway passed the encoding on.
    expect(data.data.map((d) => d.embedding.length)).toEqual([16, 16]);
    expect(response.headers.get('x-switchyard-endpoint')).toBe('fallback');
    expect(response.headers.get('x-switchyard-attempts')).toBe('2');
    expect(s.sims.fallback!.stats().requests).toBe(1);
  });

  it('opens the circuit and then skips the failing endpoint', async () => {
    const s = await start({ upstreams: { primary: { always: { kind: 'status', status: 503 } }, fallback: {} } });
    const client = s.client();
    for (let i = 0; i < 3; i++) await client.embeddings.create({ model: 'chat', input: 'x' });
    expect(s.sims.primary!.stats().requests).toBe(2);
    const metrics = await (await fetch(`${s.url}/metrics`)).text();
    expect(metrics).toMatch(/switchyard_short_circuits_total\{route="chat",endpoint="primary"\} 1/);
    expect(metrics).toMatch(/switchyard_attempts_total\{route="chat",endpoint="primary",outcome="server_error"\} 2/);
  });

  it("hands the provider's 400 back as is, uncounted", async () => {
    const s = await start({});
    const e = (await s.client().embeddings.create({ model: 'chat', input: [] }).catch((x: unknown) => x)) as APIError;
    expect(e.status).toBe(400);
    expect(e.param).toBe('input');
    expect(s.router.circuits().every((c) => c.window.attempts === 0)).toBe(true);
  });

  it('skips an endpoint that serves no embeddings, visibly and without a short-circuit', async () => {
    const s = await start({ endpoints: { primary: { operations: ['chat'] } } });
    const { response } = await s.client().embeddings.create({ model: 'chat', input: 'x' }).withResponse();
    expect(response.headers.get('x-switchyard-endpoint')).toBe('fallback');
    const metrics = await (await fetch(`${s.url}/metrics`)).text();
    expect(metrics).toMatch(/switchyard_skips_total\{route="chat",endpoint="primary",reason="unsupported"\} 1/);
    expect(metrics).toMatch(/switchyard_short_circuits_total\{route="chat",endpoint="primary"\} 0/);
    expect(s.sims.primary!.stats().requests).toBe(0);
  });

  it('refuses a body without input, and a route whose endpoints serve no embeddings', async () => {
    const s = await start({ endpoints: { primary: { operations: ['chat'] }, fallback: { operations: ['chat', 'responses'] } } });
    const missing = await post(`${s.url}/v1/embeddings`, JSON.stringify({ model: 'chat' }));
    expect(missing.status).toBe(400);
    expect(((await missing.json()) as { error: { param: string } }).error.param).toBe('input');
    const e = (await s.client().embeddings.create({ model: 'chat', input: 'x' }).catch((x: unknown) => x)) as APIError;
    expect(e.status).toBe(400);
    expect(e.code).toBe('operation_not_supported');
  });
});

describe('POST /v1/responses', () => {
  it('answers plain, falling back from a reset', async () => {
    const s = await start({ upstreams: { primary: { always: { kind: 'reset' } }, fallback: {} } });
    const { data, response } = await s.client().responses.create({ model: 'chat', input: 'hello there' }).withResponse();
    expect(data.output_text).toContain('hello there');
    expect(response.headers.get('x-switchyard-endpoint')).toBe('fallback');
  });

  it('streams named events the SDK reads, falling back before the first output event', async () => {
    const s = await start({ upstreams: { primary: { always: { kind: 'malformed' } }, fallback: { chunks: 3 } } });
    const stream = await s.client().responses.create({ model: 'chat', input: 'hello there', stream: true });
    const types: string[] = [];
    for await (const e of stream) types.push(e.type);
    expect(types[0]).toBe('response.created');
    expect(types.filter((t) => t === 'response.output_text.delta')).toHaveLength(3);
    expect(types.at(-1)).toBe('response.completed');
    const raw = await post(`${s.url}/v1/responses`, JSON.stringify({ model: 'chat', input: 'x', stream: true }));
    const text = await raw.text();
    expect(text).toMatch(/^event: response\.created\ndata: \{/);
    expect(text).not.toContain('[DONE]');
    // The SDK's own stream helper assembles the same answer.
    const final = await s.client().responses.stream({ model: 'chat', input: 'hello there' }).finalResponse();
    expect(final.output_text).toContain('hello there');
  });

  it('opens the circuit on failing streams, then skips it without sending a byte', async () => {
    const s = await start({ upstreams: { primary: { always: { kind: 'status', status: 500 } }, fallback: {} } });
    const client = s.client();
    for (let i = 0; i < 3; i++) {
      const stream = await client.responses.create({ model: 'chat', input: 'x', stream: true });
      for await (const _ of stream);
    }
    expect(s.sims.primary!.stats().requests).toBe(2);
    expect(s.router.circuits().find((c) => c.endpoint === 'primary')!.state).toBe('open');
    const metrics = await (await fetch(`${s.url}/metrics`)).text();
    expect(metrics).toMatch(/switchyard_short_circuits_total\{route="chat",endpoint="primary"\} 1/);
  });

  it('ends a stream broken after its first output with an error event the SDK raises', async () => {
    const s = await start({ upstreams: { primary: { always: { kind: 'cut', afterChunks: 1 } }, fallback: {} } });
    const stream = await s.client().responses.create({ model: 'chat', input: 'x', stream: true });
    const types: string[] = [];
    const error = await (async () => {
      for await (const e of stream) types.push(e.type);
    })().catch((e: unknown) => e);
    expect(error).toBeInstanceOf(APIError);
    expect((error as APIError).code).toBe('stream_interrupted');
    expect((error as Error).message).toContain('broke after it started');
    expect(types.filter((t) => t === 'response.output_text.delta')).toHaveLength(1);
    expect(s.sims.fallback!.stats().requests).toBe(0);
  });

  it('sends a follow-up naming previous_response_id to the provider that holds it', async () => {
    const s = await start({ routes: { chat: { endpoints: ['primary', 'fallback'] }, flipped: { endpoints: ['fallback', 'primary'] } } });
    const client = s.client();
    const first = await client.responses.create({ model: 'chat', input: 'one' });
    // The other route would try `fallback` first, which never saw this id.
    const { response } = await client.responses.create({ model: 'flipped', input: 'two', previous_response_id: first.id }).withResponse();
    expect(response.headers.get('x-switchyard-endpoint')).toBe('primary');
    expect(s.sims.fallback!.stats().requests).toBe(0);
  });

  it('names the operation on the attempt spans and counts its attempts', async () => {
    const s = await start({});
    await s.client().responses.create({ model: 'chat', input: 'x' });
    const metrics = await (await fetch(`${s.url}/metrics`)).text();
    expect(metrics).toMatch(/switchyard_attempts_total\{route="chat",endpoint="primary",outcome="success"\} 1/);
  });
});

describe('unknown paths', () => {
  it('answer the OpenAI-shaped 404 and log at info', async () => {
    const s = await start({});
    const res = await post(`${s.url}/v1/images/generations`, '{}');
    expect(res.status).toBe(404);
    expect(await res.json()).toEqual({ error: { message: 'no such path: POST /v1/images/generations', type: 'invalid_request_error', param: null, code: 'not_found' } });
    await new Promise((r) => setTimeout(r, 20));
    expect(s.logs.find((l) => l.path === '/v1/images/generations')).toMatchObject({ level: 30, status: 404 });
  });
});

describe('no retry amplification', () => {
  it('a fail-fast 503 says x-should-retry: false, and the SDK with default retries sends it once', async () => {
    const s = await start({});
    s.router.forceOpen('primary');
    s.router.forceOpen('fallback');
    // Default retries (2): without the header the SDK would wait Retry-After and ask twice more.
    const client = new OpenAI({ baseURL: `${s.url}/v1`, apiKey: 'x', timeout: 5_000 });
    const e = await client.chat.completions.create({ model: 'chat', messages: HELLO }).catch((x: unknown) => x);
    expect(e).toBeInstanceOf(InternalServerError);
    expect((e as InternalServerError).status).toBe(503);
    expect((e as InternalServerError).headers?.get('x-should-retry')).toBe('false');
    // Forced open by an operator: no probe time, so no Retry-After pretending one.
    expect((e as InternalServerError).headers?.get('retry-after')).toBeNull();
    expect(s.ends).toHaveLength(1);
    const emb = await client.embeddings.create({ model: 'chat', input: 'x' }).catch((x: unknown) => x);
    expect((emb as InternalServerError).status).toBe(503);
    expect(s.ends).toHaveLength(2);
  });

  it('a 502 after the gateway retried says x-should-retry: false; a breaker-open 503 keeps its Retry-After', async () => {
    const s = await start({ upstreams: { primary: { always: { kind: 'status', status: 500 } } } });
    const client = new OpenAI({ baseURL: `${s.url}/v1`, apiKey: 'x', timeout: 5_000 });
    const e = (await client.chat.completions.create({ model: 'chat', messages: HELLO }).catch((x: unknown) => x)) as InternalServerError;
    expect(e.status).toBe(502);
    expect(e.headers?.get('x-should-retry')).toBe('false');
    expect(s.ends).toHaveLength(1);
    await client.chat.completions.create({ model: 'chat', messages: HELLO }).catch(() => undefined);
    const open = (await client.responses.create({ model: 'chat', input: 'x' }).catch((x: unknown) => x)) as InternalServerError;
    expect(open.status).toBe(503);
    expect(Number(open.headers?.get('retry-after'))).toBeGreaterThan(500);
    expect(s.ends).toHaveLength(3);
  });

  it('can be turned off (server.shouldRetryHeader: false)', async () => {
    const s = await start({ server: { shouldRetryHeader: false } });
    s.router.forceOpen('primary');
    s.router.forceOpen('fallback');
    const res = await post(`${s.url}/v1/chat/completions`, JSON.stringify({ model: 'chat', messages: HELLO }));
    expect(res.status).toBe(503);
    expect(res.headers.get('x-should-retry')).toBeNull();
    const emb = await post(`${s.url}/v1/embeddings`, JSON.stringify({ model: 'chat', input: 'x' }));
    expect(emb.headers.get('x-should-retry')).toBeNull();
  });
});
