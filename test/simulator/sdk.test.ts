import OpenAI, { APIError } from 'openai';
import { afterAll, beforeAll, beforeEach, describe, expect, it, vi } from 'vitest';
import { startSimulator, type Simulator } from '../../src/simulator/index.js';

// What the real openai SDK sees for each answer and fault: the contract the router's classification relies on.

let sim: Simulator;
let client: OpenAI;

beforeAll(async () => {
  sim = await startSimulator({ seed: 1, name: 'alpha' });
  client = new OpenAI({ baseURL: sim.url, apiKey: 'k', maxRetries: 0 });
});
afterAll(() => sim.close());
beforeEach(() => {
  sim.setFaults({});
  sim.resetStats();
});

const messages = [{ role: 'user' as const, content: 'hello there' }];
const ask = (extra: Partial<OpenAI.ChatCompletionCreateParamsNonStreaming> = {}) =>
  client.chat.completions.create({ model: 'gpt-sim', messages, ...extra });
const askStream = (extra: Partial<OpenAI.ChatCompletionCreateParamsStreaming> = {}) =>
  client.chat.completions.create({ model: 'gpt-sim', messages, stream: true, ...extra });

async function drain(stream: AsyncIterable<OpenAI.ChatCompletionChunk>) {
  const chunks: OpenAI.ChatCompletionChunk[] = [];
  let error: unknown;
  try {
    for await (const c of stream) chunks.push(c);
  } catch (e) {
    error = e;
  }
  const content = chunks.map((c) => c.choices[0]?.delta.content ?? '').join('');
  const contentChunks = chunks.filter((c) => c.choices[0]?.delta.content).length;
  return { chunks, content, contentChunks, error };
}

describe('healthy answers', () => {
  it('answers a plain completion the SDK parses', async () => {
    const r = await ask();
    expect(r.object).toBe('chat.completion');
    expect(r.model).toBe('gpt-sim');
    expect(r.choices[0]!.message).toMatchObject({ role: 'assistant' });
    expect(r.choices[0]!.message.content).toContain('alpha');
    expect(r.choices[0]!.message.content).toContain('hello there');
    expect(r.choices[0]!.finish_reason).toBe('stop');
    expect(r.usage!.total_tokens).toBe(r.usage!.prompt_tokens + r.usage!.completion_tokens);
    expect(sim.stats()).toEqual({ requests: 1, byResult: { ok: 1 }, streams: 0, inFlight: 0 });
  });

  it('streams role, content chunks, stop, usage, then [DONE]', async () => {
    sim.setFaults({ chunks: 5, chunkDelayMs: 2 });
    const plain = await ask();
    const { chunks, content, contentChunks, error } = await drain(await askStream({ stream_options: { include_usage: true } }));
    expect(error).toBeUndefined();
    expect(chunks[0]!.choices[0]!.delta.role).toBe('assistant');
    expect(contentChunks).toBe(5);
    expect(content).toBe(plain.choices[0]!.message.content);
    expect(chunks.at(-2)!.choices[0]!.finish_reason).toBe('stop');
    expect(chunks.at(-1)!.choices).toEqual([]);
    expect(chunks.at(-1)!.usage!.completion_tokens).toBeGreaterThan(0);
    expect(sim.stats()).toMatchObject({ requests: 2, streams: 1, byResult: { ok: 2 } });
  });

  it('omits the usage chunk unless asked', async () => {
    const { chunks } = await drain(await askStream());
    expect(chunks.at(-1)!.choices[0]!.finish_reason).toBe('stop');
    expect(chunks.every((c) => !c.usage)).toBe(true);
  });

  it('answers valid JSON in json_object mode, and follows a json_schema', async () => {
    const obj = await ask({ response_format: { type: 'json_object' } });
    expect(JSON.parse(obj.choices[0]!.message.content!)).toHaveProperty('answer');
    const schema = {
      type: 'object',
      properties: { city: { type: 'string' }, temp: { type: 'number' }, tags: { type: 'array', items: { type: 'string' } }, unit: { enum: ['C', 'F'] } },
      required: ['city', 'temp', 'tags', 'unit'],
    };
    const rf = { type: 'json_schema' as const, json_schema: { name: 'weather', schema } };
    const parsed = JSON.parse((await ask({ response_format: rf })).choices[0]!.message.content!);
    expect(parsed).toMatchObject({ city: expect.any(String), temp: expect.any(Number), unit: 'C' });
    expect(parsed.tags).toEqual([expect.any(String)]);
    const streamed = await drain(await askStream({ response_format: rf }));
    expect(JSON.parse(streamed.content)).toEqual(parsed);
  });

  it('lists the models it has seen', async () => {
    const fresh = await startSimulator();
    try {
      const c = new OpenAI({ baseURL: fresh.url, apiKey: 'k', maxRetries: 0 });
      expect((await c.models.list()).data.map((m) => m.id)).toEqual(['sim-model']);
      await c.chat.completions.create({ model: 'm-1', messages });
      expect((await c.models.list()).data.map((m) => m.id)).toEqual(['m-1']);
    } finally {
      await fresh.close();
    }
  });
});

describe('faults as the SDK sees them', () => {
  it('status 500 is an InternalServerError', async () => {
    sim.setFaults({ always: { kind: 'status', status: 500 } });
    const err = await ask().catch((e: unknown) => e);
    expect(err).toBeInstanceOf(OpenAI.InternalServerError);
    expect((err as APIError).status).toBe(500);
    expect((err as APIError).type).toBe('server_error');
    expect(sim.stats().byResult).toEqual({ status_500: 1 });
  });

  it('429 is a RateLimitError carrying Retry-After', async () => {
    sim.setFaults({ statusRates: { '429': 1 }, retryAfterSeconds: 7 });
    const err = await ask().catch((e: unknown) => e);
    expect(err).toBeInstanceOf(OpenAI.RateLimitError);
    expect((err as APIError).headers?.get('retry-after')).toBe('7');
    expect((err as APIError).code).toBe('rate_limit_exceeded');
    sim.setFaults({ always: { kind: 'status', status: 429, retryAfterSeconds: 2 } });
    const streamErr = await askStream().catch((e: unknown) => e);
    expect((streamErr as APIError).headers?.get('retry-after')).toBe('2');
  });

  it('reset is a connection error, plain and streamed', async () => {
    sim.setFaults({ always: { kind: 'reset' } });
    await expect(ask()).rejects.toBeInstanceOf(OpenAI.APIConnectionError);
    await expect(askStream()).rejects.toBeInstanceOf(OpenAI.APIConnectionError);
    expect(sim.stats().byResult).toEqual({ reset: 2 });
  });

  it('malformed is a JSON parse error, plain and streamed', async () => {
    const quiet = vi.spyOn(console, 'error').mockImplementation(() => {}); // the SDK logs bad SSE data
    try {
      sim.setFaults({ always: { kind: 'malformed' } });
      await expect(ask()).rejects.toBeInstanceOf(SyntaxError);
      const { error, contentChunks } = await drain(await askStream());
      expect(error).toBeInstanceOf(SyntaxError);
      expect(contentChunks).toBe(0);
    } finally {
      quiet.mockRestore();
    }
  });

  it('empty gives empty content, and a stream with no content chunk', async () => {
    sim.setFaults({ always: { kind: 'empty' } });
    const r = await ask();
    expect(r.choices[0]!.message.content).toBe('');
    expect(r.usage!.completion_tokens).toBe(0);
    const s = await drain(await askStream());
    expect(s.error).toBeUndefined();
    expect(s.contentChunks).toBe(0);
    expect(s.chunks.at(-1)!.choices[0]!.finish_reason).toBe('stop');
  });

  it('cut ends a stream after N content chunks, and a plain body halfway', async () => {
    sim.setFaults({ chunks: 4, always: { kind: 'cut', afterChunks: 2 } });
    const s = await drain(await askStream());
    expect(s.contentChunks).toBe(2);
    expect(s.error).toBeInstanceOf(Error);
    expect(s.chunks.some((c) => c.choices[0]?.finish_reason)).toBe(false);
    // undici reports the premature end of a body as a bare TypeError("terminated").
    await expect(ask()).rejects.toThrow(/terminated/);
    sim.setFaults({ cut: 1, cutAfterChunks: 0 });
    expect((await drain(await askStream())).contentChunks).toBe(0);
  });

  it('not_json answers prose in JSON mode', async () => {
    sim.setFaults({ always: { kind: 'not_json' } });
    const r = await ask({ response_format: { type: 'json_object' } });
    expect(() => JSON.parse(r.choices[0]!.message.content!)).toThrow();
    const s = await drain(await askStream({ response_format: { type: 'json_object' } }));
    expect(() => JSON.parse(s.content)).toThrow();
    expect(sim.stats().byResult).toEqual({ not_json: 2 });
  });

  it('slow_first_token sends headers and the role chunk, then waits for content', async () => {
    sim.setFaults({ always: { kind: 'slow_first_token', delayMs: 150 } });
    const stream = await askStream();
    const times: number[] = [];
    for await (const c of stream) if (c.choices[0]?.delta.content || c.choices[0]?.delta.role) times.push(performance.now());
    // Only lower bounds and a gap: timers never fire early, whereas a loaded CI box can delay anything.
    // A gap this wide proves the role chunk came long before the delayed content.
    expect(times[1]! - times[0]!).toBeGreaterThanOrEqual(75);
    const p0 = performance.now();
    await ask();
    expect(performance.now() - p0).toBeGreaterThanOrEqual(140);
  });

  it('adds latency before answering', async () => {
    sim.setFaults({ latencyMs: 60, jitterMs: 10 });
    const t0 = performance.now();
    await ask();
    expect(performance.now() - t0).toBeGreaterThanOrEqual(55);
  });

  it('a hang ends when the client gives up', async () => {
    sim.setFaults({ always: { kind: 'hang' } });
    const body = { model: 'gpt-sim', messages };
    await expect(client.chat.completions.create(body, { timeout: 50 })).rejects.toBeInstanceOf(OpenAI.APIConnectionTimeoutError);
    await vi.waitFor(() => expect(sim.stats().inFlight).toBe(0));
    const abort = new AbortController();
    const pending = client.chat.completions.create({ ...body, stream: true }, { signal: abort.signal });
    await vi.waitFor(() => expect(sim.stats()).toMatchObject({ requests: 2, inFlight: 1 }));
    abort.abort();
    await expect(pending).rejects.toBeInstanceOf(OpenAI.APIUserAbortError);
    await vi.waitFor(() => expect(sim.stats().inFlight).toBe(0));
    expect(sim.stats().byResult).toEqual({ hang: 2 });
  });
});
