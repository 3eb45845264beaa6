import type { ChatCompletion, ChatCompletionChunk, ChatCompletionMessageFunctionToolCall as ChatCompletionMessageToolCall } from 'openai/resources/chat/completions';
import { chunk, isObject, malformed, num, nowSeconds, str, type DecodeContext, type StreamDecoder } from '../codec.js';

type Finish = ChatCompletion.Choice['finish_reason'];

const FILTERED = new Set(['SAFETY', 'RECITATION', 'BLOCKLIST', 'PROHIBITED_CONTENT', 'SPII', 'IMAGE_SAFETY', 'LANGUAGE']);

/** Gemini's finishReason as OpenAI's finish_reason (docs/providers.md). */
export function geminiFinish(reason: unknown, calls: boolean): Finish | null {
  if (reason === undefined || reason === null || reason === 'FINISH_REASON_UNSPECIFIED') return null;
  if (reason === 'MAX_TOKENS') return 'length';
  if (typeof reason === 'string' && FILTERED.has(reason)) return 'content_filter';
  return calls ? 'tool_calls' : 'stop';
}

export function geminiUsage(u: unknown): ChatCompletion['usage'] {
  if (!isObject(u)) return undefined;
  const prompt = num(u.promptTokenCount) ?? 0;
  // Thinking tokens are billed as output: counted in completion_tokens, as OpenAI counts reasoning tokens.
  const thoughts = num(u.thoughtsTokenCount) ?? 0;
  const completion = (num(u.candidatesTokenCount) ?? 0) + thoughts;
  return {
    prompt_tokens: prompt,
    completion_tokens: completion,
    total_tokens: prompt + completion,
    prompt_tokens_details: { cached_tokens: num(u.cachedContentTokenCount) ?? 0 },
    ...(thoughts > 0 ? { completion_tokens_details: { reasoning_tokens: thoughts } } : {}),
  };
}

interface Parts {
  text: string;
  calls: ChatCompletionMessageToolCall[];
}

function partsOf(candidate: Record<string, unknown>, callBase: string): Parts {
  const out: Parts = { text: '', calls: [] };
  const content = isObject(candidate.content) ? candidate.content : {};
  for (const part of Array.isArray(content.parts) ? (content.parts as unknown[]) : []) {
    if (!isObject(part) || part.thought === true) continue;
    if (typeof part.text === 'string') out.text += part.text;
    else if (isObject(part.functionCall) && typeof part.functionCall.name === 'string') {
      const id = str(part.functionCall.id) ?? `${callBase}_${out.calls.length}`;
      out.calls.push({ id, type: 'function', function: { name: part.functionCall.name, arguments: JSON.stringify(part.functionCall.args ?? {}) } });
    }
  }
  return out;
}

/** A generateContent answer as a ChatCompletion: one choice per candidate. */
export function decodeGemini(value: unknown, ctx: DecodeContext): ChatCompletion {
  if (!isObject(value)) return malformed('not an object');
  const id = str(value.responseId) ?? `gemini-${Date.now().toString(36)}`;
  const candidates = Array.isArray(value.candidates) ? (value.candidates as unknown[]).filter(isObject) : [];
  const blocked = candidates.length === 0 && isObject(value.promptFeedback) && value.promptFeedback.blockReason !== undefined;
  if (candidates.length === 0 && !blocked) return malformed('no candidates');
  const usage = geminiUsage(value.usageMetadata);
  const choices: ChatCompletion.Choice[] = blocked
    ? [{ index: 0, message: { role: 'assistant', content: null, refusal: 'the prompt was blocked by the provider', }, finish_reason: 'content_filter', logprobs: null }]
    : candidates.map((c, i) => {
        const index = num(c.index) ?? i;
        const { text, calls } = partsOf(c, `call_${id}_${index}`);
        return {
          index,
          message: { role: 'assistant', content: text === '' && calls.length > 0 ? null : text, refusal: null, ...(calls.length > 0 ? { tool_calls: calls } : {}) },
          finish_reason: geminiFinish(c.finishReason, calls.length > 0) ?? 'stop',
          logprobs: null,
        };
      });
  return { id, object: 'chat.completion', created: nowSeconds(), model: str(value.modelVersion) ?? ctx.model, choices, ...(usage ? { usage } : {}) };
}

/** streamGenerateContent's SSE events (each a partial GenerateContentResponse) as OpenAI chunks. */
export function geminiDecoder(ctx: DecodeContext): StreamDecoder {
  const created = nowSeconds();
  let id: string | undefined;
  let model = ctx.model;
  let usage: ChatCompletion['usage'];
  let finished = false;
  const started = new Set<number>();
  const callCount = new Map<number, number>();
  return {
    event(v) {
      if (!isObject(v)) return malformed('a stream event that is not an object');
      id ??= str(v.responseId) ?? `gemini-${Date.now().toString(36)}`;
      model = str(v.modelVersion) ?? model;
      usage = geminiUsage(v.usageMetadata) ?? usage;
      const out: ChatCompletionChunk[] = [];
      if (isObject(v.promptFeedback) && v.promptFeedback.blockReason !== undefined && !Array.isArray(v.candidates)) {
        finished = true;
        out.push(chunk(id, model, created, [{ index: 0, delta: { role: 'assistant', refusal: 'the prompt was blocked by the provider' }, finish_reason: 'content_filter', logprobs: null }]));
        return out;
      }
      for (const [i, c] of (Array.isArray(v.candidates) ? (v.candidates as unknown[]) : []).entries()) {
        if (!isObject(c)) continue;
        const index = num(c.index) ?? i;
        const { text, calls } = partsOf(c, `call_${id}_${index}`);
        const first = !started.has(index);
        started.add(index);
        const before = callCount.get(index) ?? 0;
        callCount.set(index, before + calls.length);
        const delta: ChatCompletionChunk.Choice.Delta = {
          ...(first ? { role: 'assistant' as const } : {}),
          ...(text !== '' || first ? { content: text } : {}),
          ...(calls.length > 0 ? { tool_calls: calls.map((call, k) => ({ index: before + k, ...call })) } : {}),
        };
        const finish = geminiFinish(c.finishReason, before + calls.length > 0);
        if (finish) finished = true;
        out.push(chunk(id, model, created, [{ index, delta, finish_reason: finish, logprobs: null }]));
      }
      return out;
    },
    end() {
      // Gemini's stream has no end marker: the last event carries finishReason. Without one it was cut.
      if (!finished) return malformed('the stream ended before a finishReason');
      return ctx.includeUsage && usage ? [chunk(id ?? 'gemini', model, created, [], usage)] : [];
    },
  };
}

/** Gemini's `{error:{code, message, status, details}}` as the OpenAI-shaped error body. */
export function geminiFailure(status: number, body: unknown): { status: number; body: unknown } {
  const inner = isObject(body) && isObject(body.error) ? body.error : undefined;
  if (!inner) return { status, body };
  const code = str(inner.status) ?? 'UNKNOWN';
  const details = Array.isArray(inner.details) ? inner.details : [];
  // A bad key is a 400 INVALID_ARGUMENT naming API_KEY_INVALID: the key's fault, as a 401 is.
  const badKey = details.some((d: unknown) => isObject(d) && d.reason === 'API_KEY_INVALID');
  return { status: badKey ? 401 : status, body: { error: { message: str(inner.message) ?? code, type: code, param: null, code: badKey ? 'invalid_api_key' : code, details } } };
}

/** An error object inside a 2xx stream: its own `code` is the HTTP status it stands for. */
export function geminiStreamStatus(error: unknown): number {
  const code = isObject(error) ? num(error.code) : undefined;
  return code !== undefined && code >= 400 && code <= 599 ? code : 500;
}
