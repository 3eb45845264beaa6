import OpenAI, { BadRequestError, InternalServerError } from 'openai';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { startSimulator, type Simulator } from '../../src/simulator/index.js';

// The simulator's embeddings, Responses API and chat parameters, as the real openai SDK sees them.

let sim: Simulator;
let client: OpenAI;

beforeAll(async () => {
  sim = await startSimulator({ seed: 3, name: 'alpha' });
  client = new OpenAI({ baseURL: sim.url, apiKey: 'k', maxRetries: 0 });
});
afterAll(() => sim.close());
beforeEach(() => {
  sim.setFaults({});
  sim.resetStats();
});

const messages = [{ role: 'user' as const, content: 'hello there' }];
const weather = {
  type: 'function' as const,
  function: {
    name: 'get_weather',
    parameters: { type: 'object', properties: { city: { type: 'string' }, days: { type: 'integer', minimum: 1 } }, required: ['city', 'days'] },
  },
};

describe('chat parameters', () => {
  it('answers n choices', async () => {
    const r = await client.chat.completions.create({ model: 'm', messages, n: 3 });
    expect(r.choices.map((c) => c.index)).toEqual([0, 1, 2]);
    expect(new Set(r.choices.map((c) => c.message.content)).size).toBe(1);
  });

  it('truncates at max_tokens / max_completion_tokens with finish_reason length', async () => {
    const full = await client.chat.completions.create({ model: 'm', messages });
    const cut = await client.chat.completions.create({ model: 'm', messages, max_tokens: 2 });
    expect(cut.choices[0]!.finish_reason).toBe('length');
    expect(cut.choices[0]!.message.content).toBe(full.choices[0]!.message.content!.slice(0, 8));
    const cut2 = await client.chat.completions.create({ model: 'm', messages, max_completion_tokens: 3 });
    expect(cut2.choices[0]!.message.content).toHaveLength(12);
    const stream = await client.chat.completions.create({ model: 'm', messages, max_tokens: 2, stream: true });
    const finishes: (string | null)[] = [];
    for await (const c of stream) finishes.push(c.choices[0]?.finish_reason ?? null);
    expect(finishes.at(-1)).toBe('length');
  });

  it('ends at a stop sequence', async () => {
    const r = await client.chat.completions.create({ model: 'm', messages, stop: ['answer', 'zzz'] });
    expect(r.choices[0]!.message.content).toBe('Simulated ');
    expect(r.choices[0]!.finish_reason).toBe('stop');
  });

  it('calls a tool when tools are offered, and answers in text after the tool result', async () => {
    const r = await client.chat.completions.create({ model: 'm', messages, tools: [weather] });
    const call = r.choices[0]!.message.tool_calls![0]!;
    expect(r.choices[0]!.finish_reason).toBe('tool_calls');
    expect(call.type === 'function' && call.function.name).toBe('get_weather');
    const args = JSON.parse(call.type === 'function' ? call.function.arguments : '{}');
    expect(args).toEqual({ city: expect.any(String), days: 1 });
    const next = await client.chat.completions.create({
      model: 'm',
      tools: [weather],
      messages: [...messages, r.choices[0]!.message, { role: 'tool', tool_call_id: call.id, content: 'sunny' }],
    });
    expect(next.choices[0]!.finish_reason).toBe('stop');
    expect(next.choices[0]!.message.content).toContain('alpha');
    const none = await client.chat.completions.create({ model: 'm', messages, tools: [weather], tool_choice: 'none' });
    expect(none.choices[0]!.message.tool_calls).toBeUndefined();
  });

  it('streams a tool call as the SDK assembles it', async () => {
    const stream = client.chat.completions.stream({ model: 'm', messages, tools: [weather] });
    const final = await stream.finalChatCompletion();
    const call = final.choices[0]!.message.tool_calls![0]!;
    expect(call.type === 'function' && JSON.parse(call.function.arguments)).toMatchObject({ days: 1 });
  });

  it.each([
    [{ n: 0 }, 'n', 'integer_below_min_value'],
    [{ n: 1.5 }, 'n', 'invalid_type'],
    [{ temperature: 3 }, 'temperature', 'decimal_above_max_value'],
    [{ top_p: -1 }, 'top_p', 'decimal_below_min_value'],
    [{ max_tokens: 0 }, 'max_tokens', 'integer_below_min_value'],
    [{ stop: ['a', 'b', 'c', 'd', 'e'] }, 'stop', 'array_above_max_length'],
  ])('rejects %j with OpenAI 400 shape', async (extra, param, code) => {
    const e = await client.chat.completions.create({ model: 'm', messages, ...(extra as object) }).catch((x: unknown) => x);
    expect(e).toBeInstanceOf(BadRequestError);
    const err = e as BadRequestError;
    expect(err.error).toEqual({ message: expect.any(String), type: 'invalid_request_error', param, code });
  });
});

describe('embeddings', () => {
  it('answers deterministic unit vectors, decoded from base64 by the SDK by default', async () => {
    const a = await client.embeddings.create({ model: 'e', input: ['one', 'two'] });
    const b = await client.embeddings.create({ model: 'e', input: 'one', encoding_format: 'float' });
    expect(a.data).toHaveLength(2);
    expect(a.data[0]!.embedding).toHaveLength(16);
    expect(a.data[0]!.embedding.map((x) => x.toFixed(5))).toEqual(b.data[0]!.embedding.map((x) => x.toFixed(5)));
    expect(a.data[1]!.embedding).not.toEqual(a.data[0]!.embedding);
    const norm = Math.hypot(...b.data[0]!.embedding);
    expect(norm).toBeCloseTo(1, 4);
    expect(a.usage.prompt_tokens).toBeGreaterThan(0);
  });

  it('honours dimensions and answers base64 on the wire when asked', async () => {
    const res = await fetch(`${sim.url}/embeddings`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ model: 'e', input: 'one', encoding_format: 'base64', dimensions: 4 }),
    });
    const body = (await res.json()) as { data: { embedding: string }[] };
    expect(Buffer.from(body.data[0]!.embedding, 'base64')).toHaveLength(16);
  });

  it('rejects a bad input or dimensions with OpenAI 400 shape', async () => {
    await expect(client.embeddings.create({ model: 'e', input: [] })).rejects.toMatchObject({ status: 400, param: 'input' });
    await expect(client.embeddings.create({ model: 'e', input: 'x', dimensions: 0 })).rejects.toMatchObject({ status: 400, param: 'dimensions' });
  });

  it('injects faults as the chat path does', async () => {
    sim.setFaults({ always: { kind: 'status', status: 500 } });
    await expect(client.embeddings.create({ model: 'e', input: 'x' })).rejects.toBeInstanceOf(InternalServerError);
    sim.setFaults({ always: { kind: 'malformed' } });
    await expect(client.embeddings.create({ model: 'e', input: 'x', encoding_format: 'float' })).rejects.toThrow();
    expect(sim.stats().byResult).toEqual({ status_500: 1, malformed: 1 });
  });
});

describe('responses API', () => {
  it('answers a plain response with output_text and usage', async () => {
    const r = await client.responses.create({ model: 'r', input: 'hello there', instructions: 'be brief' });
    expect(r.object).toBe('response');
    expect(r.status).toBe('completed');
    expect(r.output_text).toContain('hello there');
    expect(r.usage!.total_tokens).toBe(r.usage!.input_tokens + r.usage!.output_tokens);
  });

  it('streams the real event names, in order, and the SDK helper assembles them', async () => {
    sim.setFaults({ chunks: 4 });
    const stream = await client.responses.create({ model: 'r', input: 'hello there', stream: true });
    const types: string[] = [];
    let text = '';
    for await (const e of stream) {
      types.push(e.type);
      if (e.type === 'response.output_text.delta') text += e.delta;
    }
    expect(types).toEqual([
      'response.created',
      'response.in_progress',
      'response.output_item.added',
      'response.content_part.added',
      ...Array(4).fill('response.output_text.delta'),
      'response.output_text.done',
      'response.content_part.done',
      'response.output_item.done',
      'response.completed',
    ]);
    const final = await client.responses.stream({ model: 'r', input: 'hello there' }).finalResponse();
    expect(final.output_text).toBe(text);
  });

  it('calls a function tool, and answers in text after its output', async () => {
    const tool = { type: 'function' as const, name: 'get_weather', strict: false, parameters: weather.function.parameters };
    const r = await client.responses.create({ model: 'r', input: 'weather?', tools: [tool] });
    const call = r.output[0]!;
    expect(call.type).toBe('function_call');
    if (call.type !== 'function_call') return;
    expect(JSON.parse(call.arguments)).toMatchObject({ days: 1 });
    const next = await client.responses.create({
      model: 'r',
      previous_response_id: r.id,
      tools: [tool],
      input: [{ type: 'function_call_output', call_id: call.call_id, output: 'sunny' }],
    });
    expect(next.output_text).toContain('alpha');
  });

  it('is incomplete at max_output_tokens, and refuses fewer than 16', async () => {
    const r = await client.responses.create({ model: 'r', input: 'hello there '.repeat(20), max_output_tokens: 16 });
    expect(r.status).toBe('incomplete');
    expect(r.incomplete_details).toEqual({ reason: 'max_output_tokens' });
    expect(r.output_text).toHaveLength(64);
    await expect(client.responses.create({ model: 'r', input: 'x', max_output_tokens: 8 })).rejects.toMatchObject({
      status: 400,
      param: 'max_output_tokens',
      code: 'integer_below_min_value',
    });
  });

  it('refuses a previous_response_id it never gave out', async () => {
    await expect(client.responses.create({ model: 'r', input: 'x', previous_response_id: 'resp_elsewhere' })).rejects.toMatchObject({
      status: 400,
      code: 'previous_response_not_found',
    });
  });

  it('injects faults: a cut stream ends early, an error status fails', async () => {
    sim.setFaults({ always: { kind: 'cut', afterChunks: 1 } });
    const stream = await client.responses.create({ model: 'r', input: 'x', stream: true });
    const types: string[] = [];
    const failed = await (async () => {
      for await (const e of stream) types.push(e.type);
    })().then(
      () => false,
      () => true,
    );
    expect(failed || !types.includes('response.completed')).toBe(true);
    expect(types.filter((t) => t === 'response.output_text.delta')).toHaveLength(1);
    sim.setFaults({ always: { kind: 'status', status: 503 } });
    await expect(client.responses.create({ model: 'r', input: 'x' })).rejects.toMatchObject({ status: 503 });
  });
});
