import { afterEach, describe, expect, it } from 'vitest';
import type { ChatCompletion, ChatCompletionChunk } from 'openai/resources/chat/completions';
import { collect, providerRig, type ProviderRig } from './rig.js';

let r: ProviderRig | undefined;
afterEach(async () => {
  await r?.close();
  r = undefined;
});

const ask = { model: 'chat', messages: [{ role: 'developer' as const, content: 'Be brief.' }, { role: 'user' as const, content: 'hello gemini' }] };
const weather = {
  type: 'function' as const,
  function: { name: 'get_weather', parameters: { type: 'object', properties: { city: { type: 'string' } }, required: ['city'], additionalProperties: false }, strict: true },
};
const plain = async (params: Record<string, unknown>) => (await r!.router.dispatch(params as never)).response as ChatCompletion;
const streamed = async (params: Record<string, unknown>) =>
  collect((await r!.router.dispatch({ ...params, stream: true } as never)).response as unknown as AsyncIterable<ChatCompletionChunk>);

describe('gemini codec over real HTTP (the simulator speaks generateContent and checks x-goog-api-key)', () => {
  it('maps a plain answer: systemInstruction, generationConfig, usage and model', async () => {
    r = await providerRig('gemini', { model: 'gemini-2.0-flash' });
    const res = await plain({ ...ask, temperature: 1.5, seed: 3, max_completion_tokens: 500 });
    expect(res.model).toBe('gemini-2.0-flash');
    expect(res.choices[0]!.message.content).toContain('hello gemini');
    expect(res.choices[0]!.finish_reason).toBe('stop');
    expect(res.usage).toMatchObject({ prompt_tokens: expect.any(Number), completion_tokens: expect.any(Number) });
    expect(r.attempts).toEqual([{ endpoint: 'native', outcome: 'success' }]);
  });

  it('n is candidateCount: one choice per candidate; MAX_TOKENS → length; stop → stopSequences', async () => {
    r = await providerRig('gemini', { faults: { content: 'one two three four five six seven eight nine ten' } });
    const two = await plain({ ...ask, n: 2 });
    expect(two.choices.map((c) => c.index)).toEqual([0, 1]);
    const cut = await plain({ ...ask, max_tokens: 2 });
    expect(cut.choices[0]!.finish_reason).toBe('length');
    const stopped = await plain({ ...ask, stop: 'four' });
    expect(stopped.choices[0]!.message.content).toBe('one two three ');
  });

  it('tools: functionCall → tool call; the tool result goes back as a functionResponse by name', async () => {
    r = await providerRig('gemini');
    const first = await plain({ ...ask, tools: [weather], tool_choice: 'required' });
    const call = first.choices[0]!.message.tool_calls![0]! as { id: string; function: { name: string; arguments: string } };
    expect(first.choices[0]!.finish_reason).toBe('tool_calls');
    expect(call.function.name).toBe('get_weather');
    expect(JSON.parse(call.function.arguments)).toHaveProperty('city');
    const second = await plain({ ...ask, tools: [weather], messages: [...ask.messages, first.choices[0]!.message, { role: 'tool', tool_call_id: call.id, content: 'sunny' }] });
    expect(second.choices[0]!.finish_reason).toBe('stop');
  });

  it('response_format json_schema → responseMimeType and responseSchema (refused keywords left out)', async () => {
    r = await providerRig('gemini');
    const schema = { type: 'object', properties: { answer: { type: 'string' } }, required: ['answer'], additionalProperties: false };
    const res = await plain({ ...ask, response_format: { type: 'json_schema', json_schema: { name: 'r', schema, strict: true } } });
    expect(JSON.parse(res.choices[0]!.message.content!)).toHaveProperty('answer');
  });

  it('streams with alt=sse: chunks, finish_reason and a usage chunk', async () => {
    r = await providerRig('gemini', { faults: { chunks: 4 } });
    const out = await streamed({ ...ask, stream_options: { include_usage: true } });
    expect(out.error).toBeUndefined();
    expect(out.text).toContain('hello gemini');
    expect(out.finishes).toEqual(['stop']);
    expect(out.usage).toMatchObject({ total_tokens: expect.any(Number) });
  });

  it('an error object in the stream before content falls back; a cut stream (no finishReason) does too', async () => {
    r = await providerRig('gemini', { faults: { always: { kind: 'error_event' } } });
    const out = await streamed(ask);
    expect(out.model).toBe('gpt-4o-mini');
    expect(r.attempts[0]).toEqual({ endpoint: 'native', outcome: 'server_error', errorType: '503' });
  });

  it('a per-minute 429 is rate_limited with RetryInfo; a per-day one is quota_exhausted', async () => {
    r = await providerRig('gemini', { faults: { always: { kind: 'status', status: 429, message: 'Quota exceeded per minute' } } });
    await plain(ask);
    expect(r.attempts[0]).toMatchObject({ endpoint: 'native', outcome: 'rate_limited' });
    await r.close();
    r = await providerRig('gemini', { faults: { always: { kind: 'status', status: 429, message: 'Quota exceeded: requests per day' } } });
    await plain(ask);
    expect(r.attempts[0]).toEqual({ endpoint: 'native', outcome: 'quota_exhausted', errorType: 'quota_exhausted' });
  });

  it('a bad key (400 API_KEY_INVALID) is auth_error', async () => {
    r = await providerRig('gemini');
    r.sim.setFaults({ requireApiKey: 'not-the-configured-key' });
    expect((await plain(ask)).model).toBe('gpt-4o-mini');
    expect(r.attempts[0]).toMatchObject({ endpoint: 'native', outcome: 'auth_error' });
  });

  it('logprobs is refused before any call, and another endpoint serves', async () => {
    r = await providerRig('gemini');
    expect((await plain({ ...ask, logprobs: true })).model).toBe('gpt-4o-mini');
    expect(r.sim.stats().requests).toBe(0);
    expect(r.skips).toEqual([{ endpoint: 'native', reason: 'unsupported' }]);
    expect(r.attempts).toEqual([{ endpoint: 'fallback', outcome: 'success' }]);
  });
});
