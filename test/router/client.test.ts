import OpenAI, { APIConnectionError, BadRequestError, InternalServerError, NotFoundError, RateLimitError } from 'openai';
import { zodFunction, zodResponseFormat, zodTextFormat } from 'openai/helpers/zod';
import { afterEach, describe, expect, it } from 'vitest';
import { z } from 'zod';
import { RouteUnavailableError, isRouteUnavailableError, isUpstreamClientError } from '../../src/errors/router-errors.js';
import { SwitchyardError } from '../../src/errors/base.js';
import { rig, type Rig } from './helpers.js';

// The openai SDK's surface over the router, with the simulator behind it.

let r: Rig | undefined;
afterEach(async () => {
  await r?.close();
  r = undefined;
});

const messages = [{ role: 'user' as const, content: 'hello there' }];

describe('chat.completions', () => {
  it('create() has withResponse(), asResponse() and withRoute(), all from one call', async () => {
    r = await rig({ primary: { always: { kind: 'status', status: 500 } } });
    const p = r.router.chat.completions.create({ model: 'chat', messages });
    const { data, response, request_id } = await p.withResponse();
    expect(data.choices[0]!.message.content).toContain('hello there');
    expect(response.headers.get('x-switchyard-endpoint')).toBe('fallback');
    expect(response.headers.get('x-switchyard-attempts')).toBe('2');
    expect(((await response.json()) as { id: string }).id).toBe(data.id);
    // The answering provider's own headers, its request id among them.
    expect(request_id).toMatch(/^req_/);
    expect(response.headers.get('x-request-id')).toBe(request_id);
    expect((await p.asResponse()).status).toBe(200);
    expect((await p.withRoute()).endpoint).toBe('fallback');
    expect(await p).toEqual(data);
    expect(r.primary.stats().requests + r.fallback.stats().requests).toBe(2);
  });

  it.each(['native', 'sdk'] as const)("withResponse() shows the provider's headers over the %s transport, for embeddings and responses too", async (transport) => {
    r = await rig({ router: { transport } });
    const chat = await r.router.chat.completions.create({ model: 'chat', messages }).withResponse();
    expect(chat.request_id).toMatch(/^req_sim_\d+$/);
    expect(chat.response.headers.get('content-type')).toBe('application/json');
    const streamed = await r.router.chat.completions.create({ model: 'chat', messages, stream: true }).withResponse();
    expect(streamed.request_id).toMatch(/^req_sim_\d+$/);
    expect(streamed.response.headers.get('x-switchyard-endpoint')).toBe('primary');
    let text = '';
    for await (const c of streamed.data) text += c.choices[0]?.delta?.content ?? '';
    expect(text).toContain('hello there');
    const emb = await r.router.embeddings.create({ model: 'chat', input: 'x' }).withResponse();
    expect(emb.request_id).toMatch(/^req_sim_\d+$/);
    const resp = await r.router.responses.create({ model: 'chat', input: 'x' }).withResponse();
    expect(resp.request_id).toMatch(/^req_sim_\d+$/);
    expect(resp.data.output_text).toContain('x');
  });

  it('parse() with zodResponseFormat gives message.parsed', async () => {
    r = await rig({});
    const Answer = z.object({ city: z.string(), days: z.number() });
    const c = await r.router.chat.completions.parse({ model: 'chat', messages, response_format: zodResponseFormat(Answer, 'answer') });
    expect(c.choices[0]!.message.parsed).toEqual({ city: expect.any(String), days: 42 });
  });

  it('stream() is the SDK helper over the router', async () => {
    r = await rig({});
    const stream = r.router.chat.completions.stream({ model: 'chat', messages });
    const deltas: string[] = [];
    stream.on('content', (d) => deltas.push(d));
    const final = await stream.finalChatCompletion();
    expect(deltas.join('')).toBe(final.choices[0]!.message.content);
  });

  it('runTools() calls the tool and sends its result back, as the SDK helper does', async () => {
    r = await rig({});
    const calls: unknown[] = [];
    const runner = r.router.chat.completions.runTools({
      model: 'chat',
      messages,
      tools: [zodFunction({ name: 'get_weather', parameters: z.object({ city: z.string() }), function: (args: { city: string }) => (calls.push(args), 'sunny') })],
    });
    const content = await runner.finalContent();
    expect(calls).toHaveLength(1);
    expect(content).toContain('hello there');
    expect(r.attempts).toHaveLength(2);
  });

  it('per-call maxRetries caps the retries on one endpoint', async () => {
    r = await rig({ primary: { always: { kind: 'status', status: 500 } }, endpoint: { retry: { retries: 3, baseDelayMs: 0, maxDelayMs: 0 } } });
    await r.router.chat.completions.create({ model: 'chat', messages }, { maxRetries: 1 });
    expect(r.attempts.map((a) => a.endpoint)).toEqual(['primary', 'primary', 'fallback']);
    await expect(r.router.chat.completions.create({ model: 'chat', messages }, { maxRetries: -1 })).rejects.toBeInstanceOf(BadRequestError);
  });

  it('a request dropped unawaited and cut by close() never becomes an unhandled rejection', async () => {
    r = await rig({ primary: { always: { kind: 'hang' } } });
    const unhandled: unknown[] = [];
    const onUnhandled = (e: unknown) => unhandled.push(e);
    process.on('unhandledRejection', onUnhandled);
    try {
      const p = r.router.chat.completions.create({ model: 'chat', messages });
      void p.withResponse;
      await new Promise((res) => setTimeout(res, 20));
      await r.router.close();
      await new Promise((res) => setTimeout(res, 20));
      expect(unhandled).toEqual([]);
      await expect(p).rejects.toBeInstanceOf(APIConnectionError);
    } finally {
      process.off('unhandledRejection', onUnhandled);
    }
  });
});

describe('errors are the SDK classes, with Switchyard facts', () => {
  it("an upstream 400 is a BadRequestError with the provider's message, code, param and headers", async () => {
    r = await rig({});
    const e = (await r.router.chat.completions.create({ model: 'chat', messages, temperature: 9 }).catch((x: unknown) => x)) as BadRequestError;
    expect(e).toBeInstanceOf(OpenAI.BadRequestError);
    expect(e.status).toBe(400);
    expect(e.message).toMatch(/^400 Invalid 'temperature'/);
    expect(e.code).toBe('decimal_above_max_value');
    expect(e.param).toBe('temperature');
    expect(e.headers?.get('content-type')).toContain('application/json');
    expect(isUpstreamClientError(e)).toBe(true);
    expect(e).toMatchObject({ switchyardCode: 'upstream_client_error', route: 'chat' });
  });

  it('every circuit open is a 503 InternalServerError that is also a RouteUnavailableError', async () => {
    r = await rig({});
    r.router.forceOpen('primary');
    r.router.forceOpen('fallback');
    const e = await r.router.chat.completions.create({ model: 'chat', messages }).catch((x: unknown) => x);
    expect(e).toBeInstanceOf(InternalServerError);
    expect(e).toBeInstanceOf(RouteUnavailableError);
    expect(e).toBeInstanceOf(SwitchyardError);
    expect(isRouteUnavailableError(e)).toBe(true);
    expect((e as InternalServerError).status).toBe(503);
    expect((e as InternalServerError).code).toBe('route_unavailable');
    expect((e as { skipped: unknown[] }).skipped).toHaveLength(2);
  });

  it('every attempt rate limited is a RateLimitError; an unknown route a NotFoundError', async () => {
    r = await rig({ primary: { always: { kind: 'status', status: 429 } }, fallback: { always: { kind: 'status', status: 429 } } });
    const e = await r.router.chat.completions.create({ model: 'chat', messages }).catch((x: unknown) => x);
    expect(e).toBeInstanceOf(RateLimitError);
    expect((e as { attempts: unknown[] }).attempts).toHaveLength(2);
    await expect(r.router.embeddings.create({ model: 'nope', input: 'x' })).rejects.toBeInstanceOf(NotFoundError);
  });

  it('a stream broken after its first chunk throws an SDK APIError while iterating', async () => {
    r = await rig({ primary: { always: { kind: 'cut', afterChunks: 1 } } });
    const stream = await r.router.chat.completions.create({ model: 'chat', messages, stream: true });
    const e = await (async () => {
      for await (const _ of stream);
    })().catch((x: unknown) => x);
    expect(e).toBeInstanceOf(OpenAI.APIError);
    expect(e).toMatchObject({ code: 'stream_interrupted', switchyardCode: 'stream_interrupted', endpoint: 'primary' });
  });
});

describe('embeddings, responses and models', () => {
  it('embeddings.create', async () => {
    r = await rig({});
    const e = await r.router.embeddings.create({ model: 'chat', input: ['a', 'b'] });
    expect(e.data).toHaveLength(2);
  });

  it('responses.create (plain with output_text, and streamed), responses.parse and responses.stream', async () => {
    r = await rig({});
    const plain = await r.router.responses.create({ model: 'chat', input: 'hello there' });
    expect(plain.output_text).toContain('hello there');
    const stream = await r.router.responses.create({ model: 'chat', input: 'hello there', stream: true });
    const types: string[] = [];
    for await (const ev of stream) types.push(ev.type);
    expect(types.at(-1)).toBe('response.completed');
    const parsed = await r.router.responses.parse({ model: 'chat', input: 'x', text: { format: zodTextFormat(z.object({ n: z.number() }), 'n') } });
    expect(parsed.output_parsed).toEqual({ n: 42 });
    const final = await r.router.responses.stream({ model: 'chat', input: 'hello there' }).finalResponse();
    expect(final.output_text).toBe(plain.output_text);
  });

  it('models.list: the routes and endpoints, awaited or iterated', async () => {
    r = await rig({});
    const page = await r.router.models.list();
    expect(page.data.map((m) => m.id)).toEqual(['chat', 'primary', 'fallback']);
    expect(page.data[0]).toMatchObject({ object: 'model', kind: 'route', available: true });
    const ids: string[] = [];
    for await (const m of r.router.models.list()) ids.push(m.id);
    expect(ids).toEqual(['chat', 'primary', 'fallback']);
  });
});
