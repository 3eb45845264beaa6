import { createServer, type Server } from 'node:http';
import { afterEach, describe, expect, it } from 'vitest';
import type { ChatCompletion, ChatCompletionChunk } from 'openai/resources/chat/completions';
import { classify } from '../../src/endpoint/classify.js';
import { CancelSource } from '../../src/endpoint/cancellation.js';
import { createAnswerScrubber } from '../../src/endpoint/answer-scrub.js';
import { anthropicCodec } from '../../src/providers/anthropic/index.js';
import { codecTransport } from '../../src/providers/codec-transport.js';
import { collect, KEYS, providerRig, type ProviderRig } from './rig.js';

let r: ProviderRig | undefined;
let server: Server | undefined;
afterEach(async () => {
  await r?.close();
  r = undefined;
  await new Promise<void>((resolve) => (server ? server.close(() => resolve()) : resolve()));
  server = undefined;
});

const ask = { model: 'chat', messages: [{ role: 'user' as const, content: 'hi' }] };
const plain = async (params: Record<string, unknown>) => (await r!.router.dispatch(params as never)).response as ChatCompletion;
const streamed = async (params: Record<string, unknown>) =>
  collect((await r!.router.dispatch({ ...params, stream: true } as never)).response as unknown as AsyncIterable<ChatCompletionChunk>);

/** A provider on loopback answering every request with `handler`. */
async function fakeProvider(handler: Parameters<typeof createServer>[1]): Promise<string> {
  server = createServer(handler);
  await new Promise<void>((resolve) => server!.listen(0, '127.0.0.1', () => resolve()));
  const a = server.address();
  return `http://127.0.0.1:${typeof a === 'object' && a ? a.port : 0}/v1`;
}

describe.each(['anthropic', 'gemini'] as const)('a broken or hostile %s provider', (type) => {
  it('echoing its key in the answer: scrubbed, plain and streamed', async () => {
    r = await providerRig(type, { faults: { content: `the key is ${KEYS[type]} ok` } });
    expect((await plain(ask)).choices[0]!.message.content).toBe('the key is [redacted] ok');
    const out = await streamed(ask);
    expect(out.text).toBe('the key is [redacted] ok');
    expect(out.text).not.toContain(KEYS[type]);
  });

  it.each([
    ['malformed JSON', { always: { kind: 'malformed' } }, 'invalid_response'],
    ['a body cut before any content', { always: { kind: 'cut', afterChunks: 0 } }, 'connection_error'],
    ['a reset', { always: { kind: 'reset' } }, 'connection_error'],
    ['a 500', { always: { kind: 'status', status: 500 } }, 'server_error'],
  ] as const)('%s: classified, counted, fallen back from (plain and streamed)', async (_n, faults, outcome) => {
    r = await providerRig(type, { faults: faults as never });
    expect((await plain(ask)).model).toBe('gpt-4o-mini');
    const out = await streamed(ask);
    expect(out.error).toBeUndefined();
    expect(out.model).toBe('gpt-4o-mini');
    expect(r.attempts.filter((a) => a.endpoint === 'native').map((a) => a.outcome)).toEqual([outcome, outcome]);
  });

  it('a stream cut after content ends with an error, not a quiet short answer', async () => {
    r = await providerRig(type, { faults: { chunks: 4, always: { kind: 'cut', afterChunks: 2 } } });
    const out = await streamed(ask);
    expect(out.error).toBeDefined();
  });

});

describe('codec transport limits and cancellation', () => {
  it('a key echoed in a streamed field other than the text (the model, the id) is scrubbed before decoding', async () => {
    const key = 'sk-ant-echo-canary-0123456789';
    const event = (type: string, data: object) => `event: ${type}\ndata: ${JSON.stringify({ type, ...data })}\n\n`;
    const url = await fakeProvider((_req, res) => {
      res.writeHead(200, { 'content-type': 'text/event-stream' });
      res.end(
        event('message_start', { message: { id: `msg_${key}`, type: 'message', role: 'assistant', model: key, content: [], usage: { input_tokens: 1, output_tokens: 0 } } }) +
          event('content_block_start', { index: 0, content_block: { type: 'text', text: '' } }) +
          event('content_block_delta', { index: 0, delta: { type: 'text_delta', text: 'hello' } }) +
          event('content_block_stop', { index: 0 }) +
          event('message_delta', { delta: { stop_reason: 'end_turn' }, usage: { output_tokens: 1 } }) +
          event('message_stop', {}),
      );
    });
    const t = codecTransport({ baseURL: url, codec: anthropicCodec(key, undefined), scrubber: createAnswerScrubber([key]) });
    try {
      const chunks: ChatCompletionChunk[] = [];
      for await (const c of await t.stream({ model: 'm', messages: [{ role: 'user', content: 'x' }] }, new CancelSource())) chunks.push(c);
      expect(chunks.map((c) => c.choices[0]?.delta.content ?? '').join('')).toBe('hello');
      expect(JSON.stringify(chunks)).not.toContain(key);
      expect(chunks[0]!.model).toBe('[redacted]');
    } finally {
      t.close();
    }
  });

  it('a plain answer over maxAnswerBytes is cut and invalid_response', async () => {
    const url = await fakeProvider((_req, res) => {
      res.writeHead(200, { 'content-type': 'application/json' });
      res.end(JSON.stringify({ content: [{ type: 'text', text: 'y'.repeat(10_000) }] }));
    });
    const t = codecTransport({ baseURL: url, codec: anthropicCodec('k-123456', undefined), maxAnswerBytes: 1000 });
    try {
      const err = await t.complete({ model: 'm', messages: [{ role: 'user', content: 'x' }] }, new CancelSource()).catch((e: unknown) => e);
      expect(classify(err, undefined, 1000).outcome).toBe('invalid_response');
    } finally {
      t.close();
    }
  });

  it.each([['[]'], ['"text"'], ['{"content":"not a list"}'], ['null']])('a 2xx answer %s is invalid_response, never a crash', async (body) => {
    const url = await fakeProvider((_req, res) => {
      res.writeHead(200, { 'content-type': 'application/json' });
      res.end(body);
    });
    const t = codecTransport({ baseURL: url, codec: anthropicCodec(undefined, undefined) });
    try {
      const err = await t.complete({ model: 'm', messages: [{ role: 'user', content: 'x' }] }, new CancelSource()).catch((e: unknown) => e);
      expect(classify(err, undefined, 1000).outcome).toBe('invalid_response');
    } finally {
      t.close();
    }
  });

  it('a caller that stops reading a stream closes the provider connection', async () => {
    r = await providerRig('anthropic', { faults: { chunks: 50, chunkDelayMs: 20 } });
    const stream = (await r.router.dispatch({ ...ask, stream: true } as never)).response as unknown as AsyncIterable<ChatCompletionChunk>;
    for await (const c of stream) if (c.choices[0]?.delta?.content) break;
    const deadline = Date.now() + 5_000;
    while (r.sim.stats().inFlight > 0 && Date.now() < deadline) await new Promise((res) => setTimeout(res, 10));
    expect(r.sim.stats().inFlight).toBe(0);
  });

  it('an abort before the call is a cancelled attempt and sends nothing', async () => {
    let requests = 0;
    const url = await fakeProvider((_req, res) => {
      requests++;
      res.end();
    });
    const t = codecTransport({ baseURL: url, codec: anthropicCodec(undefined, undefined) });
    const abort = new CancelSource();
    abort.cancel();
    try {
      const err = await t.stream({ model: 'm', messages: [{ role: 'user', content: 'x' }] }, abort).catch((e: unknown) => e);
      expect(classify(err, undefined, 1000).outcome).toBe('cancelled');
      expect(requests).toBe(0);
    } finally {
      t.close();
    }
  });
});

describe('an event longer than limits.maxEventBytes', () => {
  it('sent in pieces: invalid_response, and the request falls back', async () => {
    // The shared SSE parser bounds what it holds between reads: the event comes in 512-byte writes.
    const url = await fakeProvider((_req, res) => {
      res.writeHead(200, { 'content-type': 'text/event-stream' });
      const event = `data: ${JSON.stringify({ type: 'content_block_delta', index: 0, delta: { type: 'text_delta', text: 'z'.repeat(8000) } })}\n\n`;
      let at = 0;
      const next = () => {
        if (res.destroyed || at >= event.length) return void res.end();
        res.write(event.slice(at, (at += 512)), () => setTimeout(next, 2));
      };
      next();
    });
    r = await providerRig('anthropic', { config: { limits: { maxEventBytes: 2048 } } });
    await r.router.close();
    const { createRouter } = await import('../../src/router/router.js');
    const router = createRouter({
      providers: { a: { type: 'anthropic', baseURL: url }, o: { baseURL: r.fallback.url, apiKey: KEYS.openai } },
      endpoints: { a: { provider: 'a', model: 'm' }, o: { provider: 'o', model: 'gpt-4o-mini' } },
      routes: { chat: { endpoints: ['a', 'o'] } },
      limits: { maxEventBytes: 2048 },
    });
    const outcomes: string[] = [];
    router.events.on('attempt:end', (a, res) => outcomes.push(`${a.endpoint}:${res.outcome}`));
    try {
      const out = await collect((await router.dispatch({ ...ask, stream: true })).response);
      expect(out.model).toBe('gpt-4o-mini');
      expect(outcomes).toEqual(['a:invalid_response', 'o:success']);
    } finally {
      await router.close();
    }
  });
});
