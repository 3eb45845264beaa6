import { afterEach, describe, expect, it } from 'vitest';
import type { ChatCompletion, ChatCompletionChunk } from 'openai/resources/chat/completions';
import { collect, providerRig, type ProviderRig } from './rig.js';

let r: ProviderRig | undefined;
afterEach(async () => {
  await r?.close();
  r = undefined;
});

const ask = { model: 'chat', messages: [{ role: 'system' as const, content: 'Be brief.' }, { role: 'user' as const, content: 'hello claude' }] };
const weather = {
  type: 'function' as const,
  function: { name: 'get_weather', description: 'Weather in a city', parameters: { type: 'object', properties: { city: { type: 'string' } }, required: ['city'] } },
};
const plain = async (params: Record<string, unknown>) => (await r!.router.dispatch(params as never)).response as ChatCompletion;
const streamed = async (params: Record<string, unknown>) =>
  collect((await r!.router.dispatch({ ...params, stream: true } as never)).response as unknown as AsyncIterable<ChatCompletionChunk>);

describe('anthropic codec over real HTTP (the simulator speaks the Messages API and checks x-api-key)', () => {
  it('maps a plain answer: system hoisted, max_tokens defaulted, OpenAI-only fields not sent, usage and model', async () => {
    r = await providerRig('anthropic', { model: 'claude-3-5-haiku-20241022' });
    // seed and temperature 1.5 (OpenAI's range) would be refused by the Messages API as sent: dropped / clamped.
    const res = await plain({ ...ask, seed: 7, temperature: 1.5, user: 'u-1' });
    expect(res.object).toBe('chat.completion');
    expect(res.model).toBe('claude-3-5-haiku-20241022');
    expect(res.choices[0]!.message.content).toContain('hello claude');
    expect(res.choices[0]!.finish_reason).toBe('stop');
    expect(res.usage).toMatchObject({ prompt_tokens: expect.any(Number), completion_tokens: expect.any(Number), prompt_tokens_details: { cached_tokens: 0 } });
    expect(r.attempts).toEqual([{ endpoint: 'native', outcome: 'success' }]);
    expect(r.fallback.stats().requests).toBe(0);
  });

  it('maps max_tokens → length and stop → stop_sequences', async () => {
    r = await providerRig('anthropic', { faults: { content: 'one two three four five six seven eight nine ten' } });
    const cut = await plain({ ...ask, max_tokens: 2 });
    expect(cut.choices[0]!.finish_reason).toBe('length');
    expect(cut.choices[0]!.message.content).toBe('one two ');
    const stopped = await plain({ ...ask, stop: ['four'] });
    expect(stopped.choices[0]!.message.content).toBe('one two three ');
  });

  it('tools: a tool_use block is an OpenAI tool call; the tool result goes back as a tool_result', async () => {
    r = await providerRig('anthropic');
    const first = await plain({ ...ask, tools: [weather], tool_choice: 'required' });
    const call = first.choices[0]!.message.tool_calls![0]!;
    expect(first.choices[0]!.finish_reason).toBe('tool_calls');
    expect(call).toMatchObject({ type: 'function', function: { name: 'get_weather' } });
    expect(JSON.parse((call as { function: { arguments: string } }).function.arguments)).toHaveProperty('city');
    const second = await plain({
      ...ask,
      tools: [weather],
      messages: [...ask.messages, first.choices[0]!.message, { role: 'tool', tool_call_id: call.id, content: '21 degrees' }],
    });
    expect(second.choices[0]!.finish_reason).toBe('stop');
    expect(second.choices[0]!.message.content).toBeTruthy();
  });

  it('response_format json_schema becomes a forced tool whose input is the answer', async () => {
    r = await providerRig('anthropic');
    const schema = { type: 'object', properties: { answer: { type: 'string' } }, required: ['answer'], additionalProperties: false };
    const res = await plain({ ...ask, response_format: { type: 'json_schema', json_schema: { name: 'reply', schema, strict: true } } });
    expect(res.choices[0]!.finish_reason).toBe('stop');
    expect(res.choices[0]!.message.tool_calls).toBeUndefined();
    expect(JSON.parse(res.choices[0]!.message.content!)).toHaveProperty('answer');
  });

  it('images as base64 data URLs are image blocks', async () => {
    r = await providerRig('anthropic');
    const res = await plain({
      model: 'chat',
      messages: [{ role: 'user', content: [{ type: 'text', text: 'what is this' }, { type: 'image_url', image_url: { url: 'data:image/png;base64,iVBORw0KGgo=' } }] }],
    });
    expect(res.choices[0]!.finish_reason).toBe('stop');
  });

  it('streams: the named events become OpenAI chunks, with finish_reason and usage', async () => {
    r = await providerRig('anthropic', { faults: { chunks: 4 } });
    const out = await streamed({ ...ask, stream_options: { include_usage: true } });
    expect(out.error).toBeUndefined();
    expect(out.text).toContain('hello claude');
    expect(out.finishes).toEqual(['stop']);
    expect(out.usage).toMatchObject({ prompt_tokens: expect.any(Number), completion_tokens: expect.any(Number) });
    // withResponse() on a stream shows Anthropic's own headers, as on a plain answer.
    const { response, data } = await r.router.chat.completions.create({ ...ask, stream: true } as never).withResponse();
    expect(response.headers.get('request-id')).toMatch(/^req_/);
    expect((await collect(data as unknown as AsyncIterable<ChatCompletionChunk>)).text).toContain('hello claude');
  });

  it('streams a tool call: name first, then its arguments in input_json_delta pieces', async () => {
    r = await providerRig('anthropic', { faults: { chunks: 3 } });
    const out = await streamed({ ...ask, tools: [weather], tool_choice: { type: 'function', function: { name: 'get_weather' } } });
    expect(out.finishes).toEqual(['tool_calls']);
    const calls = out.toolCalls as { index: number; id?: string; function: { name?: string; arguments: string } }[];
    expect(calls[0]).toMatchObject({ index: 0, function: { name: 'get_weather' } });
    expect(JSON.parse(calls.map((c) => c.function.arguments).join(''))).toHaveProperty('city');
  });

  it('a 529 overloaded_error is a counted server_error and falls back', async () => {
    r = await providerRig('anthropic', { faults: { always: { kind: 'status', status: 529 } } });
    const res = await plain(ask);
    expect(res.model).toBe('gpt-4o-mini');
    expect(r.attempts).toEqual([
      { endpoint: 'native', outcome: 'server_error', errorType: '529' },
      { endpoint: 'fallback', outcome: 'success' },
    ]);
    expect(r.router.circuits().find((c) => c.endpoint === 'native')!.window).toMatchObject({ failures: 1 });
  });

  it('an in-band overloaded_error after the 200, before any content, is a failed attempt that falls back', async () => {
    r = await providerRig('anthropic', { faults: { always: { kind: 'error_event' } } });
    const out = await streamed(ask);
    expect(out.error).toBeUndefined();
    expect(out.model).toBe('gpt-4o-mini');
    expect(r.attempts).toEqual([
      { endpoint: 'native', outcome: 'server_error', errorType: '529' },
      { endpoint: 'fallback', outcome: 'success' },
    ]);
  });

  it('an in-band error after content ends the stream with an error', async () => {
    r = await providerRig('anthropic', { faults: { chunks: 3, always: { kind: 'error_event', afterChunks: 1 } } });
    const out = await streamed(ask);
    expect(out.text.length).toBeGreaterThan(0);
    expect(out.error).toBeDefined();
    expect(r.fallback.stats().requests).toBe(0);
  });

  it('n > 1 is refused before any call: the endpoint is skipped (unsupported, no attempt) and another serves', async () => {
    r = await providerRig('anthropic');
    const res = await plain({ ...ask, n: 2 });
    expect(res.model).toBe('gpt-4o-mini');
    expect(r.sim.stats().requests).toBe(0);
    expect(r.skips).toEqual([{ endpoint: 'native', reason: 'unsupported' }]);
    expect(r.attempts).toEqual([{ endpoint: 'fallback', outcome: 'success' }]);
  });

  it('a refused parameter nowhere served comes back as an OpenAI-shaped 400 naming it', async () => {
    r = await providerRig('anthropic', { config: { routes: { chat: { endpoints: ['native'] } } } });
    const err = (await r.router.dispatch({ ...ask, n: 3 } as never).catch((e: unknown) => e)) as { status?: number; error?: unknown; param?: unknown };
    expect(err.status).toBe(400);
    expect(JSON.stringify(err)).toContain('unsupported_parameter');
  });

  it('a wrong key is auth_error (the key goes in x-api-key)', async () => {
    r = await providerRig('anthropic');
    r.sim.setFaults({ requireApiKey: 'another-key-entirely' });
    const res = await plain(ask);
    expect(res.model).toBe('gpt-4o-mini');
    expect(r.attempts[0]).toMatchObject({ endpoint: 'native', outcome: 'auth_error' });
  });

  it('a spend limit 429 is quota_exhausted: not retried, the endpoint kept off for quotaCooldownMs', async () => {
    r = await providerRig('anthropic', {
      faults: { always: { kind: 'status', status: 429, message: 'enforced_spend_limit_reached: your workspace reached its spend limit' } },
      config: { retry: { retries: 2, baseDelayMs: 0, on: ['server_error', 'rate_limited'] } },
    });
    expect((await plain(ask)).model).toBe('gpt-4o-mini');
    expect(r.attempts[0]).toEqual({ endpoint: 'native', outcome: 'quota_exhausted', errorType: 'quota_exhausted' });
    expect(r.sim.stats().requests).toBe(1);
    await plain(ask);
    // Kept off: the second request went straight to the fallback.
    expect(r.sim.stats().requests).toBe(1);
  });

  it('the simulator holds the codec to the real API: no anthropic-version, an OpenAI-only field, or no max_tokens is a 400', async () => {
    r = await providerRig('anthropic');
    const post = (headers: Record<string, string>, body: unknown) =>
      fetch(`${r!.sim.url}/messages`, { method: 'POST', headers: { 'content-type': 'application/json', 'x-api-key': 'sk-ant-canary-0002', ...headers }, body: JSON.stringify(body) });
    const ok = { model: 'm', max_tokens: 10, messages: [{ role: 'user', content: 'hi' }] };
    expect((await post({ 'anthropic-version': '2023-06-01' }, ok)).status).toBe(200);
    const noVersion = await post({}, ok);
    expect(noVersion.status).toBe(400);
    expect(await noVersion.json()).toMatchObject({ type: 'error', error: { type: 'invalid_request_error' } });
    expect((await post({ 'anthropic-version': '2023-06-01' }, { ...ok, n: 1 })).status).toBe(400);
    expect((await post({ 'anthropic-version': '2023-06-01' }, { ...ok, max_tokens: undefined })).status).toBe(400);
  });
});
