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
 * Throws InvalidResponseError when a finished completion is unusable. The SDK hands back whatever the body
 * parsed to (a string, for a non-JSON content type), so the shape is checked before anything is trusted.
 */
export function validateCompletion(value: unknown, params: ChatCompletionCreateParams, rules: ValidationRules): ChatCompletion {
  if (typeof value !== 'object' || value === null || !Array.isArray((value as ChatCompletion).choices)) {
    throw new InvalidResponseError('answer is not a chat completion');
  }
  const completion = value as ChatCompletion;
  const first = completion.choices[0];
  if (!first || typeof first.message !== 'object' || first.message === null) {
    throw new InvalidResponseError('answer has no choices');
  }
  const { content, tool_calls: toolCalls, refusal } = first.message;
  const hasContent = typeof content === 'string' && content.trim() !== '';
  if (rules.rejectEmpty && !hasContent && !(toolCalls && toolCalls.length > 0) && !refusal) {
    throw new InvalidResponseError('empty content');
  }
  if (rules.requireJsonWhenAsked && asksForJson(params) && hasContent && !(toolCalls && toolCalls.length > 0)) {
    try {
      JSON.parse(content as string);
    } catch {
      throw new InvalidResponseError('JSON was asked for but the answer is not JSON');
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
