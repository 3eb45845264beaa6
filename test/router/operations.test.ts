import { afterEach, describe, expect, it } from 'vitest';
import type { ResponseStreamEvent } from 'openai/resources/responses/responses';
import { createRouter } from '../../src/router/router.js';
import { startSimulator, type Simulator } from '../../src/simulator/index.js';
import { rig, type Rig } from './helpers.js';

// Embeddings and the Responses API through the engine: breakers, retries, fallbacks, skips and events.

let r: Rig | undefined;
afterEach(async () => {
  await r?.close();
  r = undefined;
});

const embed = { model: 'chat', input: ['one', 'two'] };
const respond = { model: 'chat', input: 'hello there' };

async function drain(stream: AsyncIterable<ResponseStreamEvent>) {
  const types: string[] = [];
  let text = '';
  let error: unknown;
  try {
    for await (const e of stream) {
      types.push(e.type);
      if (e.type === 'response.output_text.delta') text += e.delta;
    }
  } catch (e) {
    error = e;
  }
  return { types, text, error };
}

describe('embeddings through a route', () => {
  it('answers from the primary, and falls back when it fails', async () => {
    r = await rig({ primary: { always: { kind: 'status', status: 500 } } });
    const routed = await r.router.dispatchEmbeddings(embed);
    expect(routed.endpoint).toBe('fallback');
    expect(routed.response.data).toHaveLength(2);
    expect(routed.response.model).toBe('model-b');
    expect(r.attempts.map((a) => `${a.endpoint}:${a.outcome}`)).toEqual(['primary:server_error', 'fallback:success']);
    expect(r.events.filter((e) => e.name === 'fallback')).toHaveLength(1);
  });

  it('opens the circuit on repeated failures, then skips it', async () => {
    r = await rig({ primary: { always: { kind: 'status', status: 503 } } });
    for (let i = 0; i < 3; i++) await r.router.dispatchEmbeddings(embed);
    expect(r.router.circuits().find((c) => c.endpoint === 'primary')!.state).toBe('open');
    const before = r.primary.stats().requests;
    await r.router.dispatchEmbeddings(embed);
    expect(r.primary.stats().requests).toBe(before);
    expect(r.events.some((e) => e.name === 'skip' && e.args[2] === 'open')).toBe(true);
  });

  it('hands a 400 that every endpoint gives back uncounted, with the provider headers', async () => {
    r = await rig({});
    const e = (await r.router.dispatchEmbeddings({ model: 'chat', input: [] }).catch((x: unknown) => x)) as { code: string; status: number; body: { param: string }; headers?: Headers };
    expect(e).toMatchObject({ code: 'upstream_client_error', status: 400, body: { param: 'input' } });
    expect(e.headers?.get('content-type')).toContain('application/json');
    expect(r.attempts.map((a) => a.outcome)).toEqual(['client_error', 'client_error']);
    expect(r.router.circuits().every((c) => c.window.failures === 0)).toBe(true);
  });

  it('counts an answer with fewer vectors than inputs as invalid_response, and falls back', async () => {
    r = await rig({ primary: { always: { kind: 'empty' } } });
    const routed = await r.router.dispatchEmbeddings(embed);
    expect(routed.endpoint).toBe('fallback');
    expect(r.attempts[0]!.outcome).toBe('invalid_response');
  });
});

describe('the Responses API through a route', () => {
  it('answers plain, falling back from a connection reset', async () => {
    r = await rig({ primary: { always: { kind: 'reset' } } });
    const routed = await r.router.dispatchResponses(respond);
    expect(routed.endpoint).toBe('fallback');
    expect(routed.response.status).toBe('completed');
    expect(r.attempts.map((a) => a.outcome)).toEqual(['connection_error', 'success']);
  });

  it('streams, falling back before the first content event and never after', async () => {
    r = await rig({ primary: { always: { kind: 'malformed' } } });
    const routed = await r.router.dispatchResponses({ ...respond, stream: true });
    const out = await drain(routed.response);
    expect(routed.endpoint).toBe('fallback');
    expect(out.error).toBeUndefined();
    expect(out.types[0]).toBe('response.created');
    expect(out.types.at(-1)).toBe('response.completed');
    expect(out.text).toContain('hello there');
    expect(r.attempts.map((a) => a.outcome)).toEqual(['invalid_response', 'success']);

    r.primary.setFaults({ always: { kind: 'cut', afterChunks: 1 } });
    r.fallback.setFaults({});
    r.router.reset('primary');
    const cut = await drain((await r.router.dispatchResponses({ ...respond, stream: true })).response);
    expect(cut.error).toMatchObject({ code: 'stream_interrupted', endpoint: 'primary' });
    expect(cut.types.filter((t) => t === 'response.output_text.delta')).toHaveLength(1);
  });

  it('keeps a previous_response_id on the provider that holds it', async () => {
    r = await rig({});
    const first = await r.router.dispatchResponses(respond);
    expect(first.endpoint).toBe('primary');
    r.router.forceOpen('primary');
    // The only endpoint of the holding provider is open: skipped as open, the other one as other_provider.
    const e = await r.router.dispatchResponses({ ...respond, previous_response_id: first.response.id }).catch((x: unknown) => x);
    expect(e).toMatchObject({ code: 'route_unavailable' });
    const skips = r.events.filter((x) => x.name === 'skip').map((x) => `${x.args[1]}:${x.args[2]}`);
    expect(skips).toEqual(['primary:open', 'fallback:other_provider']);
    r.router.reset('primary');
    const next = await r.router.dispatchResponses({ ...respond, previous_response_id: first.response.id });
    expect(next.endpoint).toBe('primary');
  });

  it('skips endpoints that do not serve the operation, and refuses a route where none does', async () => {
    r = await rig({ endpoint: { operations: ['chat'] } });
    const routed = await r.router.dispatchEmbeddings(embed);
    expect(routed.endpoint).toBe('fallback');
    expect(r.events.filter((x) => x.name === 'skip').map((x) => x.args[2])).toEqual(['unsupported']);
    await expect(r.router.dispatchEmbeddings({ ...embed, model: 'primary' })).rejects.toMatchObject({ code: 'operation_not_supported' });
    // Chat still reaches it.
    expect((await r.router.dispatch({ model: 'chat', messages: [{ role: 'user', content: 'x' }] })).endpoint).toBe('primary');
  });
});

describe('chat on endpoints that serve no chat', () => {
  let sim: Simulator | undefined;
  afterEach(() => sim?.close());

  it('skips an embeddings-only endpoint', async () => {
    sim = await startSimulator();
    const router = createRouter({
      providers: { p: { baseURL: sim.url } },
      endpoints: { e: { provider: 'p', model: 'emb', operations: ['embeddings'] }, c: { provider: 'p', model: 'c' } },
      routes: { mixed: { endpoints: ['e', 'c'] } },
    });
    try {
      const routed = await router.dispatch({ model: 'mixed', messages: [{ role: 'user', content: 'x' }] });
      expect(routed.endpoint).toBe('c');
      await expect(router.dispatch({ model: 'e', messages: [{ role: 'user', content: 'x' }] })).rejects.toMatchObject({ code: 'operation_not_supported' });
    } finally {
      await router.close();
    }
  });
});
