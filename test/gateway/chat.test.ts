import { describe, expect, it } from 'vitest';
import type { FaultSpec } from '../../src/simulator/index.js';
import { closedPort } from '../../src/simulator/index.js';
import { HELLO, stackPerTest } from './helpers.js';

const start = stackPerTest();

describe('POST /v1/chat/completions', () => {
  it('answers a plain request through the openai SDK, with the x-switchyard headers', async () => {
    const s = await start({ upstreams: { primary: {}, fallback: {} } });
    const { data, response } = await s.client().chat.completions.create({ model: 'chat', messages: HELLO }).withResponse();
    expect(data.object).toBe('chat.completion');
    expect(data.choices[0]!.message.content).toContain('hello');
    expect(response.headers.get('x-switchyard-route')).toBe('chat');
    expect(response.headers.get('x-switchyard-endpoint')).toBe('primary');
    expect(response.headers.get('x-switchyard-attempts')).toBe('1');
    expect(s.sims.fallback!.stats().requests).toBe(0);
  });

  it('lets a caller name an endpoint directly', async () => {
    const s = await start({ upstreams: { primary: {}, fallback: {} } });
    const { response } = await s.client().chat.completions.create({ model: 'fallback', messages: HELLO }).withResponse();
    expect(response.headers.get('x-switchyard-route')).toBe('fallback');
    expect(response.headers.get('x-switchyard-endpoint')).toBe('fallback');
    expect(s.sims.primary!.stats().requests).toBe(0);
  });

  it('streams chunk by chunk as SSE, ending with [DONE]', async () => {
    const s = await start({ upstreams: { primary: { chunks: 5 }, fallback: {} } });
    const { data: stream, response } = await s
      .client()
      .chat.completions.create({ model: 'chat', messages: HELLO, stream: true })
      .withResponse();
    expect(response.headers.get('content-type')).toMatch(/^text\/event-stream/);
    expect(response.headers.get('x-switchyard-endpoint')).toBe('primary');
    expect(response.headers.get('x-switchyard-attempts')).toBe('1');
    let text = '';
    let chunks = 0;
    for await (const chunk of stream) {
      chunks++;
      text += chunk.choices[0]?.delta?.content ?? '';
    }
    expect(chunks).toBeGreaterThanOrEqual(5);
    expect(text).toContain('hello');
  });

  it('writes the raw SSE framing the OpenAI API uses', async () => {
    const s = await start({ upstreams: { primary: { chunks: 3 } } });
    const res = await fetch(`${s.url}/v1/chat/completions`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ model: 'chat', messages: HELLO, stream: true }),
    });
    const body = await res.text();
    const events = body.split('\n\n').filter(Boolean);
    expect(events.every((e) => e.startsWith('data: '))).toBe(true);
    expect(events.at(-1)).toBe('data: [DONE]');
    expect(JSON.parse(events[0]!.slice(6)).object).toBe('chat.completion.chunk');
  });
});

describe('fallback on each failing outcome', () => {
  const cases: [string, FaultSpec, Record<string, unknown>?][] = [
    ['server_error (500)', { always: { kind: 'status', status: 500 } }],
    ['server_error (408)', { always: { kind: 'status', status: 408 } }],
    ['rate_limited (429)', { always: { kind: 'status', status: 429 } }],
    ['auth_error (401)', { always: { kind: 'status', status: 401 } }],
    ['auth_error (403)', { always: { kind: 'status', status: 403 } }],
    ['timeout (hang)', { always: { kind: 'hang' } }, { timeoutMs: 300 }],
    ['invalid_response (malformed)', { always: { kind: 'malformed' } }],
    ['invalid_response (empty)', { always: { kind: 'empty' } }],
    ['connection_error (reset)', { always: { kind: 'reset' } }],
  ];

  it.each(cases)('plain: %s', async (_name, faults, endpoint) => {
    const s = await start({ upstreams: { primary: faults, fallback: {} }, endpoints: endpoint ? { primary: endpoint } : {} });
    const { data, response } = await s.client().chat.completions.create({ model: 'chat', messages: HELLO }).withResponse();
    expect(data.choices[0]!.message.content).toContain('fallback');
    expect(response.headers.get('x-switchyard-endpoint')).toBe('fallback');
    expect(response.headers.get('x-switchyard-attempts')).toBe('2');
    expect(s.sims.primary!.stats().requests).toBe(1);
  });

  it.each(cases.filter(([n]) => !n.includes('malformed')))('stream: %s', async (_name, faults, endpoint) => {
    const s = await start({
      upstreams: { primary: faults, fallback: {} },
      endpoints: endpoint ? { primary: { firstTokenTimeoutMs: 300, ...endpoint } } : {},
    });
    const { data: stream, response } = await s
      .client()
      .chat.completions.create({ model: 'chat', messages: HELLO, stream: true })
      .withResponse();
    expect(response.headers.get('x-switchyard-endpoint')).toBe('fallback');
    expect(response.headers.get('x-switchyard-attempts')).toBe('2');
    let text = '';
    for await (const c of stream) text += c.choices[0]?.delta?.content ?? '';
    expect(text).toContain('fallback');
  });

  it('connection_error (refused)', async () => {
    const port = await closedPort();
    const s = await start({
      upstreams: { fallback: {} },
      extraProviders: { dead: { baseURL: `http://127.0.0.1:${port}/v1` } },
      extraEndpoints: { dead: { provider: 'dead', model: 'm' } },
      routes: { chat: { endpoints: ['dead', 'fallback'] } },
    });
    const { response } = await s.client().chat.completions.create({ model: 'chat', messages: HELLO }).withResponse();
    expect(response.headers.get('x-switchyard-endpoint')).toBe('fallback');
    expect(response.headers.get('x-switchyard-attempts')).toBe('2');
  });

  it('timeout before the first token (slow_first_token) falls back when streaming', async () => {
    const s = await start({
      upstreams: { primary: { always: { kind: 'slow_first_token', delayMs: 5_000 } }, fallback: {} },
      endpoints: { primary: { firstTokenTimeoutMs: 200 } },
    });
    const { response, data } = await s
      .client()
      .chat.completions.create({ model: 'chat', messages: HELLO, stream: true })
      .withResponse();
    expect(response.headers.get('x-switchyard-endpoint')).toBe('fallback');
    for await (const _ of data) void _;
  });

  it('does not fall back on an upstream 400: the provider error comes back as is', async () => {
    const s = await start({
      upstreams: { primary: { always: { kind: 'status', status: 400, message: 'bad parameter: temperature' } }, fallback: {} },
    });
    const err = await s
      .client()
      .chat.completions.create({ model: 'chat', messages: HELLO })
      .catch((e: unknown) => e);
    expect(err).toMatchObject({ status: 400 });
    expect((err as Error).message).toContain('bad parameter: temperature');
    expect(s.sims.fallback!.stats().requests).toBe(0);
    // A client error does not count against the circuit.
    expect(s.router.circuits().find((c) => c.endpoint === 'primary')!.window.failures).toBe(0);
  });

  it('ends a stream that breaks after its first chunk with an error event, never glued to the fallback', async () => {
    const s = await start({ upstreams: { primary: { always: { kind: 'cut', afterChunks: 2 }, chunks: 6 }, fallback: {} } });
    const stream = await s.client().chat.completions.create({ model: 'chat', messages: HELLO, stream: true });
    let text = '';
    const err = await (async () => {
      for await (const c of stream) text += c.choices[0]?.delta?.content ?? '';
    })().catch((e: unknown) => e);
    expect(err).toBeInstanceOf(Error);
    expect((err as Error).message).toMatch(/stream/i);
    expect(text.length).toBeGreaterThan(0);
    expect(s.sims.fallback!.stats().requests).toBe(0);
  });
});
