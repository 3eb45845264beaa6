import type { CreateEmbeddingResponse, EmbeddingCreateParams } from 'openai/resources/embeddings';
import type { Response, ResponseCreateParams, ResponseStreamEvent } from 'openai/resources/responses/responses';
import { InvalidResponseError } from './classify.js';
import type { ValidationRules } from './validate.js';

/*
 * The checks a finished embeddings or Responses answer must pass before it is trusted, as validate.ts makes
 * for chat. An answer that is whole but short (`status: incomplete`, max_output_tokens reached) is an answer.
 */

const isObject = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);

function inputCount(input: EmbeddingCreateParams['input']): number {
  if (typeof input === 'string') return 1;
  if (Array.isArray(input) && input.length > 0 && typeof input[0] === 'number') return 1;
  return Array.isArray(input) ? input.length : 1;
}

export function validateEmbeddings(value: unknown, params: EmbeddingCreateParams, rules: ValidationRules): CreateEmbeddingResponse {
  if (!isObject(value) || !Array.isArray(value.data)) throw new InvalidResponseError('answer is not an embeddings list');
  for (const d of value.data) {
    if (!isObject(d) || !(Array.isArray(d.embedding) || typeof d.embedding === 'string')) throw new InvalidResponseError('answer has an item that is not an embedding');
  }
  // One vector per input: fewer is an answer that lost some (an empty list, when empty answers are refused).
  if (value.data.length !== inputCount(params.input) && (rules.rejectEmpty || value.data.length > 0)) {
    throw new InvalidResponseError(`answer has ${value.data.length} embeddings for ${inputCount(params.input)} inputs`);
  }
  return value as unknown as CreateEmbeddingResponse;
}

/** The answer's text, as the SDK's `output_text` joins it. */
export function outputText(r: Response): string {
  let text = '';
  for (const item of r.output ?? []) {
    if (item.type !== 'message' || !Array.isArray(item.content)) continue;
    for (const part of item.content) if (part.type === 'output_text' && typeof part.text === 'string') text += part.text;
  }
  return text;
}

function asksForJson(params: ResponseCreateParams): boolean {
  const t = params.text?.format?.type;
  return t === 'json_object' || t === 'json_schema';
}

export function validateResponse(value: unknown, params: ResponseCreateParams, rules: ValidationRules): Response {
  if (!isObject(value) || !Array.isArray(value.output) || typeof value.id !== 'string') throw new InvalidResponseError('answer is not a response');
  const r = value as unknown as Response;
  // A response the provider itself gave up on (status failed): the endpoint's failure, not an answer.
  if (r.status === 'failed') throw new InvalidResponseError('the provider reports the response failed');
  const text = outputText(r);
  const acted = r.output.some((i) => isObject(i) && i.type !== 'message' && i.type !== 'reasoning');
  const refused = r.output.some((i) => i.type === 'message' && Array.isArray(i.content) && i.content.some((p) => p.type === 'refusal'));
  if (rules.rejectEmpty && text.trim() === '' && !acted && !refused) throw new InvalidResponseError('empty content');
  if (rules.requireJsonWhenAsked && asksForJson(params) && text.trim() !== '' && r.status !== 'incomplete') {
    try {
      JSON.parse(text);
    } catch {
      throw new InvalidResponseError('JSON was asked for but the answer is not JSON');
    }
  }
  return r;
}

const CONTENT_EVENTS = new Set(['response.output_text.delta', 'response.refusal.delta', 'response.function_call_arguments.delta', 'response.custom_tool_call_input.delta']);

/**
 * An event the caller sees as output: once one is handed over, fallback is off the table. The terminal
 * events count too (a whole answer whose output came in no delta).
 */
export function isContentEvent(e: ResponseStreamEvent): boolean {
  if (CONTENT_EVENTS.has(e.type)) return typeof (e as { delta?: unknown }).delta === 'string' && (e as { delta: string }).delta !== '';
  return e.type === 'response.output_item.done' && isObject(e.item) && e.item.type !== 'message' && e.item.type !== 'reasoning';
}

/** The events that end a healthy stream. */
export const isTerminalEvent = (e: ResponseStreamEvent): boolean => e.type === 'response.completed' || e.type === 'response.incomplete';

/** The events that say the provider failed mid-answer. */
export const isFailureEvent = (e: ResponseStreamEvent): boolean => e.type === 'error' || e.type === 'response.failed';

export function isEventShaped(v: unknown): v is ResponseStreamEvent {
  return isObject(v) && typeof v.type === 'string';
}
