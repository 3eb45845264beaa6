import type { Invalid } from './turn.js';

/*
 * The range checks OpenAI makes on a chat completion request, answered with its 400 shape (message, type
 * invalid_request_error, param, code), so that a client's bad parameter fails here as it would there.
 */

const isObject = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);
const given = (v: unknown) => v !== undefined && v !== null;

/** A number parameter in [min, max]; `int` also requires an integer. */
export function checkRange(b: Record<string, unknown>, param: string, min: number, max: number, int = false): Invalid {
  const v = b[param];
  if (!given(v)) return undefined;
  if (typeof v !== 'number' || !Number.isFinite(v) || (int && !Number.isInteger(v))) {
    return { message: `Invalid type for '${param}': expected ${int ? 'an integer' : 'a number'}.`, param, code: 'invalid_type' };
  }
  const kind = int ? 'integer' : 'decimal';
  if (v < min) return { message: `Invalid '${param}': ${kind} below minimum value. Expected a value >= ${min}, but got ${v} instead.`, param, code: `${kind}_below_min_value` };
  if (v > max) return { message: `Invalid '${param}': ${kind} above maximum value. Expected a value <= ${max}, but got ${v} instead.`, param, code: `${kind}_above_max_value` };
  return undefined;
}

export function checkStop(b: Record<string, unknown>): Invalid {
  const stop = b.stop;
  if (!given(stop) || typeof stop === 'string') return undefined;
  if (!Array.isArray(stop) || !stop.every((s) => typeof s === 'string')) {
    return { message: "Invalid type for 'stop': expected a string or an array of strings.", param: 'stop', code: 'invalid_type' };
  }
  if (stop.length > 4) return { message: `Invalid 'stop': array too long. Expected an array with maximum length 4, but got an array with length ${stop.length} instead.`, param: 'stop', code: 'array_above_max_length' };
  return undefined;
}

export function checkTools(b: Record<string, unknown>): Invalid {
  if (!given(b.tools)) return undefined;
  if (!Array.isArray(b.tools)) return { message: "Invalid type for 'tools': expected an array.", param: 'tools', code: 'invalid_type' };
  for (const [i, t] of b.tools.entries()) {
    if (!isObject(t)) return { message: `Invalid type for 'tools[${i}]': expected an object.`, param: `tools[${i}]`, code: 'invalid_type' };
    // Chat nests the function; the Responses API puts its fields on the tool itself.
    const fn = isObject(t.function) ? t.function : t;
    if (t.type === 'function' && typeof fn.name !== 'string') {
      return { message: `Missing required parameter: 'tools[${i}].function.name'.`, param: `tools[${i}].function.name`, code: 'missing_required_parameter' };
    }
  }
  return undefined;
}

const ROLES = new Set(['system', 'developer', 'user', 'assistant', 'tool', 'function']);

/** Why a parsed body is not an acceptable chat completion request, or undefined when it is one. */
export function invalidChatRequest(body: unknown): Invalid {
  if (!isObject(body)) return { message: 'the body must be a JSON object', param: 'body' };
  if (typeof body.model !== 'string' || body.model === '') return { message: "'model' must be a non-empty string", param: 'model' };
  if (!Array.isArray(body.messages) || body.messages.length === 0) return { message: "'messages' must be a non-empty array", param: 'messages' };
  for (const [i, m] of body.messages.entries()) {
    if (!isObject(m) || typeof m.role !== 'string' || !ROLES.has(m.role)) {
      return { message: `Invalid value for 'messages[${i}].role'.`, param: `messages[${i}].role`, code: 'invalid_value' };
    }
    if (m.role === 'tool' && typeof m.tool_call_id !== 'string') {
      return { message: `Missing required parameter: 'messages[${i}].tool_call_id'.`, param: `messages[${i}].tool_call_id`, code: 'missing_required_parameter' };
    }
  }
  return (
    checkRange(body, 'n', 1, 128, true) ??
    checkRange(body, 'max_tokens', 1, 1_000_000, true) ??
    checkRange(body, 'max_completion_tokens', 1, 1_000_000, true) ??
    checkRange(body, 'temperature', 0, 2) ??
    checkRange(body, 'top_p', 0, 1) ??
    checkRange(body, 'presence_penalty', -2, 2) ??
    checkRange(body, 'frequency_penalty', -2, 2) ??
    checkRange(body, 'top_logprobs', 0, 20, true) ??
    checkStop(body) ??
    checkTools(body)
  );
}
