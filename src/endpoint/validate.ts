import type { ChatCompletion, ChatCompletionChunk, ChatCompletionCreateParams } from 'openai/resources/chat/completions';
import { InvalidResponseError } from './classify.js';

export interface ValidationRules {
  readonly rejectEmpty: boolean;
  readonly requireJsonWhenAsked: boolean;
}

export function asksForJson(params: ChatCompletionCreateParams): boolean {
  const t = params.response_format?.type;
  return t === 'json_object' || t === 'json_schema';
}

/**
 * Whether a choice that ended with `finishReason` is an answer even with nothing in it: cut by `max_tokens`
 * (`length`), held back by a filter, handing over to tools, or stopped by one of the caller's own `stop`
 * sequences (which may match at once). Only a provider claiming a normal finish with nothing to show has
 * failed, and even that may be the request's doing: the router blames it only on evidence.
 */
export function finishExplainsEmpty(finishReason: string | null | undefined, params: ChatCompletionCreateParams): boolean {
  if (finishReason === 'length' || finishReason === 'content_filter' || finishReason === 'tool_calls' || finishReason === 'function_call') return true;
  return finishReason === 'stop' && params.stop !== undefined && params.stop !== null;
}

type Choice = ChatCompletion['choices'][number];

function hasSomething(c: Choice): boolean {
  const { content, tool_calls: toolCalls, refusal } = c.message;
  return (typeof content === 'string' && content.trim() !== '') || (toolCalls?.length ?? 0) > 0 || !!refusal;
}

/**
 * Throws InvalidResponseError when a finished completion is unusable. The SDK hands back whatever the body
 * parsed to (a string, for a non-JSON content type), so the shape is checked before anything is trusted.
 * Empty is judged over every choice (with `n` > 1, one empty choice does not spoil the others).
 */
export function validateCompletion(value: unknown, params: ChatCompletionCreateParams, rules: ValidationRules): ChatCompletion {
  if (typeof value !== 'object' || value === null || !Array.isArray((value as ChatCompletion).choices)) {
    throw new InvalidResponseError('answer is not a chat completion');
  }
  const completion = value as ChatCompletion;
  const choices = completion.choices;
  if (choices.length === 0) throw new InvalidResponseError('answer has no choices');
  for (const c of choices) {
    if (typeof c !== 'object' || c === null || typeof c.message !== 'object' || c.message === null) {
      throw new InvalidResponseError('answer has a choice without a message');
    }
  }
  if (rules.rejectEmpty && !choices.some((c) => hasSomething(c) || finishExplainsEmpty(c.finish_reason, params))) {
    throw new InvalidResponseError('empty content with a normal finish');
  }
  if (rules.requireJsonWhenAsked && asksForJson(params)) {
    for (const c of choices) {
      // Only a whole answer must parse: one cut by max_tokens or a filter is an answer as it is.
      if (c.finish_reason === 'length' || c.finish_reason === 'content_filter' || !hasSomething(c) || (c.message.tool_calls?.length ?? 0) > 0 || typeof c.message.content !== 'string') continue;
      try {
        JSON.parse(c.message.content);
      } catch {
        throw new InvalidResponseError('JSON was asked for but the answer is not JSON');
      }
    }
  }
  return completion;
}

/** A chunk that carries something the caller will see: once one is handed over, fallback is off the table. */
export function isContentChunk(chunk: ChatCompletionChunk): boolean {
  return chunk.choices?.some((c) => {
    const d = c.delta;
    return !!d && ((typeof d.content === 'string' && d.content !== '') || (d.tool_calls?.length ?? 0) > 0 || !!d.refusal);
  }) ?? false;
}

/**
 * A stream event a caller can read as a chunk: an object whose `choices`, when there, is an array of objects.
 * Both transports hand on whatever JSON an event held (the SDK does too): a number, string, array or null
 * would reach the caller typed as a chunk. A chunk without `choices` is let through, as it always was.
 */
export function isChunkShaped(value: unknown): value is ChatCompletionChunk {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) return false;
  const choices = (value as { choices?: unknown }).choices;
  if (choices === undefined) return true;
  if (!Array.isArray(choices)) return false;
  for (const c of choices) if (typeof c !== 'object' || c === null) return false;
  return true;
}
