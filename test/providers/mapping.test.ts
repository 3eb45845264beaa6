import { describe, expect, it } from 'vitest';
import { APIError } from 'openai';
import { classify, parseRetryAfter } from '../../src/endpoint/classify.js';
import { cooldownMs } from '../../src/breaker/breaker.js';
import { decodeAnthropic, finishReason } from '../../src/providers/anthropic/answer.js';
import { encodeAnthropic, ANTHROPIC_DEFAULT_MAX_TOKENS } from '../../src/providers/anthropic/request.js';
import { geminiFinish } from '../../src/providers/gemini/answer.js';
import { encodeGemini } from '../../src/providers/gemini/request.js';
import { isUnsupportedParameterError, UnsupportedParameterError } from '../../src/providers/errors.js';

const ctx = { includeUsage: false, model: 'm' };

describe('mapping tables (pure)', () => {
  it.each([
    ['end_turn', 'stop'],
    ['stop_sequence', 'stop'],
    ['max_tokens', 'length'],
    ['tool_use', 'tool_calls'],
    ['refusal', 'content_filter'],
  ])('anthropic stop_reason %s → %s', (from, to) => expect(finishReason(from, false)).toBe(to));

  it.each([
    ['STOP', false, 'stop'],
    ['STOP', true, 'tool_calls'],
    ['MAX_TOKENS', false, 'length'],
    ['SAFETY', false, 'content_filter'],
    ['RECITATION', false, 'content_filter'],
    [undefined, false, null],
  ])('gemini finishReason %s (calls %s) → %s', (from, calls, to) => expect(geminiFinish(from, calls)).toBe(to));

  it('anthropic usage counts cache reads and writes as prompt tokens, reads as cached', () => {
    const c = decodeAnthropic(
      { id: 'msg_1', model: 'claude-x', content: [{ type: 'text', text: 'hi' }], stop_reason: 'end_turn', usage: { input_tokens: 10, cache_read_input_tokens: 100, cache_creation_input_tokens: 5, output_tokens: 7 } },
      ctx,
    );
    expect(c.usage).toEqual({ prompt_tokens: 115, completion_tokens: 7, total_tokens: 122, prompt_tokens_details: { cached_tokens: 100 } });
    expect(c.model).toBe('claude-x');
  });

  it('anthropic request: system hoisted, tool results merged into one user turn, defaults and refusals', () => {
    const e = encodeAnthropic(
      {
        model: 'c',
        messages: [
          { role: 'system', content: 'S1' },
          { role: 'user', content: 'q' },
          { role: 'assistant', content: null, tool_calls: [{ id: 't1', type: 'function', function: { name: 'f', arguments: '{"a":1}' } }, { id: 't2', type: 'function', function: { name: 'f', arguments: '{}' } }] },
          { role: 'tool', tool_call_id: 't1', content: 'r1' },
          { role: 'tool', tool_call_id: 't2', content: 'r2' },
        ],
        stop: 'END',
        parallel_tool_calls: false,
        tools: [{ type: 'function', function: { name: 'f', parameters: { type: 'object' } } }],
      },
      false,
    );
    const body = e.body as Record<string, unknown>;
    expect(body.system).toBe('S1');
    expect(body.max_tokens).toBe(ANTHROPIC_DEFAULT_MAX_TOKENS);
    expect(body.stop_sequences).toEqual(['END']);
    expect(body.tool_choice).toEqual({ type: 'auto', disable_parallel_tool_use: true });
    expect((body.messages as unknown[]).length).toBe(3);
    expect((body.messages as { content: unknown[] }[])[2]!.content).toHaveLength(2);
    for (const bad of [{ n: 2 }, { logprobs: true }, { audio: { voice: 'x', format: 'mp3' } }, { frequency_penalty: 0.5 }]) {
      const err = (() => {
        try {
          encodeAnthropic({ model: 'c', messages: [{ role: 'user', content: 'q' }], ...bad } as never, false);
        } catch (e) {
          return e;
        }
        return undefined;
      })();
      expect(isUnsupportedParameterError(err)).toBe(true);
      expect((err as UnsupportedParameterError).param).toBe(Object.keys(bad)[0]);
    }
  });

  it('gemini request: path per model and stream, roles user/model, tool result by the call name', () => {
    const e = encodeGemini(
      {
        model: 'gemini-2.0-flash',
        messages: [
          { role: 'user', content: 'q' },
          { role: 'assistant', content: null, tool_calls: [{ id: 'c1', type: 'function', function: { name: 'lookup', arguments: '{}' } }] },
          { role: 'tool', tool_call_id: 'c1', content: 'done' },
        ],
      },
      true,
    );
    expect(e.path).toBe('models/gemini-2.0-flash:streamGenerateContent?alt=sse');
    const contents = (e.body as { contents: { role: string; parts: Record<string, unknown>[] }[] }).contents;
    expect(contents.map((c) => c.role)).toEqual(['user', 'model', 'user']);
    expect(contents[2]!.parts[0]).toEqual({ functionResponse: { name: 'lookup', response: { content: 'done' } } });
  });
});

describe('classification of provider-specific failures (pure)', () => {
  const h = (o: Record<string, string>) => new Headers(o);
  it('reads retry-after-ms, x-ms-retry-after-ms, Retry-After and exhausted anthropic-ratelimit resets', () => {
    const now = Date.parse('2026-01-01T00:00:00Z');
    expect(parseRetryAfter(h({ 'x-ms-retry-after-ms': '1500' }), now)).toBe(1500);
    expect(parseRetryAfter(h({ 'retry-after': '3' }), now)).toBe(3000);
    expect(
      parseRetryAfter(
        h({
          'anthropic-ratelimit-requests-remaining': '0',
          'anthropic-ratelimit-requests-reset': '2026-01-01T00:00:20Z',
          'anthropic-ratelimit-tokens-remaining': '5000',
          'anthropic-ratelimit-tokens-reset': '2026-01-01T00:01:00Z',
        }),
        now,
      ),
    ).toBe(20_000);
  });

  it.each([
    [429, { error: { type: 'insufficient_quota', code: 'insufficient_quota', message: 'You exceeded your current quota' } }],
    [429, { error: { type: 'rate_limit_error', message: 'enforced_spend_limit_reached' } }],
    [402, { error: { type: 'billing_error', message: 'add credits' } }],
    [400, { error: { type: 'invalid_request_error', message: 'Your credit balance is too low to access the Anthropic API.' } }],
  ])('%s %j is quota_exhausted with the quota cooldown', (status, body) => {
    const c = classify(APIError.generate(status, body, undefined, new Headers()), undefined, 1000);
    expect(c).toMatchObject({ outcome: 'quota_exhausted', blame: 'endpoint' });
    expect(cooldownMs(c.retryAfterMs!, { maxRetryAfterMs: 300_000, quotaCooldownMs: 600_000 })).toBe(600_000);
  });

  it('a plain 429 stays rate_limited; a 529 is server_error with its Retry-After', () => {
    expect(classify(APIError.generate(429, { error: { type: 'rate_limit_error', message: 'slow down' } }, undefined, new Headers()), undefined, 1).outcome).toBe('rate_limited');
    expect(classify(APIError.generate(529, { error: { type: 'overloaded_error' } }, undefined, h({ 'retry-after': '2' })), undefined, 1)).toMatchObject({ outcome: 'server_error', blame: 'endpoint', retryAfterMs: 2000 });
  });

  it('UnsupportedParameterError is client_error, blame unclear, param_rejected, with an OpenAI-shaped body', () => {
    expect(classify(new UnsupportedParameterError('n', 'anthropic', 'one choice only'), undefined, 1)).toMatchObject({
      outcome: 'client_error',
      blame: 'unclear',
      errorType: 'param_rejected',
      body: { type: 'invalid_request_error', param: 'n', code: 'unsupported_parameter' },
    });
  });
});
