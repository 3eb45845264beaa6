import { APIConnectionError, APIConnectionTimeoutError, APIError, APIUserAbortError } from 'openai';
import { describe, expect, it } from 'vitest';
import { classify, InvalidResponseError, OVERLOAD_COOLDOWN_MS, outcomeForStatus, parseRetryAfter } from '../../src/endpoint/classify.js';
import { isContentChunk, validateCompletion } from '../../src/endpoint/validate.js';

const apiError = (status: number | undefined, headers: Record<string, string> = {}) =>
  APIError.generate(status, { message: 'Incorrect API key provided: sk-abc***xyz' }, undefined, new Headers(headers));

describe('classify', () => {
  it.each([
    [500, 'server_error'], [502, 'server_error'], [503, 'server_error'], [408, 'server_error'],
    [429, 'rate_limited'], [401, 'auth_error'], [403, 'auth_error'],
    [400, 'client_error'], [404, 'client_error'], [413, 'client_error'], [422, 'client_error'],
  ])('HTTP %i is %s', (status, outcome) => {
    expect(outcomeForStatus(status)).toBe(outcome);
    expect(classify(apiError(status), undefined, 1000)).toMatchObject({ outcome, status });
  });

  it('never copies the upstream message (it may echo a masked key)', () => {
    expect(classify(apiError(401), undefined, 1000).message).toBe('HTTP 401');
  });

  it('reads Retry-After as seconds, HTTP date or retry-after-ms', () => {
    expect(classify(apiError(429, { 'retry-after': '7' }), undefined, 1).retryAfterMs).toBe(7000);
    expect(parseRetryAfter(new Headers({ 'retry-after-ms': '250' }), 0)).toBe(250);
    expect(parseRetryAfter(new Headers({ 'retry-after': new Date(10_000).toUTCString() }), 4_000)).toBe(6000);
    expect(parseRetryAfter(new Headers({ 'retry-after': 'soon' }), 0)).toBeUndefined();
    expect(classify(apiError(500, { 'retry-after': '7' }), undefined, 1).retryAfterMs).toBeUndefined();
  });

  it("a previous_response_id the provider does not hold is 'elsewhere': fallen back from, never counted", () => {
    const notHeld = APIError.generate(400, { error: { message: "Previous response with id 'resp_1' not found.", type: 'invalid_request_error', param: 'previous_response_id', code: 'previous_response_not_found' } }, undefined, new Headers());
    expect(classify(notHeld, undefined, 1)).toMatchObject({ outcome: 'client_error', blame: 'elsewhere', errorType: 'conversation_elsewhere', status: 400 });
    const otherParam = APIError.generate(400, { error: { message: 'bad', type: 'invalid_request_error', param: 'logprobs', code: null } }, undefined, new Headers());
    expect(classify(otherParam, undefined, 1)).toMatchObject({ blame: 'unclear', errorType: 'param_rejected' });
  });

  it('a 529 (overloaded) without Retry-After is kept off for OVERLOAD_COOLDOWN_MS; its own Retry-After wins', () => {
    expect(classify(apiError(529), undefined, 1)).toMatchObject({ outcome: 'server_error', blame: 'endpoint', retryAfterMs: OVERLOAD_COOLDOWN_MS });
    expect(classify(apiError(529, { 'retry-after': '3' }), undefined, 1).retryAfterMs).toBe(3000);
    expect(classify(apiError(503), undefined, 1).retryAfterMs).toBeUndefined();
  });

  it('uses the router\'s abort cause over whatever the SDK threw', () => {
    const abort = new APIUserAbortError();
    expect(classify(abort, 'timeout', 300)).toMatchObject({ outcome: 'timeout', message: 'no answer within 300ms' });
    expect(classify(abort, 'cancelled', 300).outcome).toBe('cancelled');
    expect(classify(abort, 'deadline', 300)).toMatchObject({ outcome: 'cancelled', errorType: 'deadline' });
  });

  it('maps transport failures', () => {
    const refused = new APIConnectionError({ cause: Object.assign(new Error('x'), { code: 'ECONNREFUSED' }) });
    expect(classify(refused, undefined, 1)).toMatchObject({ outcome: 'connection_error', message: 'connection failed (ECONNREFUSED)' });
    expect(classify(new APIConnectionTimeoutError(), undefined, 1).outcome).toBe('timeout');
    expect(classify(new TypeError('terminated'), undefined, 1).outcome).toBe('connection_error');
    expect(classify(new SyntaxError('Unexpected token'), undefined, 1).outcome).toBe('invalid_response');
    // What the SDK throws for an `error` event inside an SSE stream.
    expect(classify(new APIError(undefined, { message: 'x' }, undefined, new Headers()), undefined, 1).outcome).toBe('server_error');
    expect(classify(new InvalidResponseError('empty content'), undefined, 1)).toMatchObject({ outcome: 'invalid_response', message: 'empty content' });
  });
});

describe('validateCompletion', () => {
  const rules = { rejectEmpty: true, requireJsonWhenAsked: true };
  const params = { model: 'm', messages: [] };
  const completion = (message: object) => ({ id: 'x', object: 'chat.completion', created: 0, model: 'm', choices: [{ index: 0, finish_reason: 'stop', message: { role: 'assistant', ...message } }] });

  it('rejects what is not a completion, empty content, and non-JSON when JSON was asked', () => {
    expect(() => validateCompletion('<html>', params, rules)).toThrow('not a chat completion');
    expect(() => validateCompletion({ choices: [] }, params, rules)).toThrow('no choices');
    expect(() => validateCompletion(completion({ content: '  ' }), params, rules)).toThrow('empty content');
    expect(() => validateCompletion(completion({ content: 'hi' }), { ...params, response_format: { type: 'json_object' } }, rules)).toThrow('not JSON');
  });

  it('accepts content, tool calls and refusals; rules can be turned off', () => {
    expect(validateCompletion(completion({ content: 'hi' }), params, rules)).toBeTruthy();
    expect(validateCompletion(completion({ content: null, tool_calls: [{ id: 't', type: 'function', function: { name: 'f', arguments: '{}' } }] }), params, rules)).toBeTruthy();
    expect(validateCompletion(completion({ content: null, refusal: 'no' }), params, rules)).toBeTruthy();
    expect(validateCompletion(completion({ content: '' }), params, { ...rules, rejectEmpty: false })).toBeTruthy();
  });

  it('a content chunk is one with text, a tool call or a refusal', () => {
    const chunk = (delta: object) => ({ id: 'x', object: 'chat.completion.chunk' as const, created: 0, model: 'm', choices: [{ index: 0, finish_reason: null, delta }] });
    expect(isContentChunk(chunk({ role: 'assistant' }))).toBe(false);
    expect(isContentChunk(chunk({ content: '' }))).toBe(false);
    expect(isContentChunk(chunk({ content: 'a' }))).toBe(true);
    expect(isContentChunk(chunk({ tool_calls: [{ index: 0 }] }))).toBe(true);
  });
});
