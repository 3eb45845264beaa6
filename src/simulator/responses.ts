import { jsonAnswer } from './json-answer.js';

/** The part of a chat completion request the simulator reads. */
export interface ChatRequest {
  model: string;
  messages: Array<{ role?: unknown; content?: unknown }>;
  stream?: boolean;
  stream_options?: { include_usage?: boolean } | null;
  response_format?: { type?: string; json_schema?: { schema?: unknown } } | null;
}

/** What one answer is made of, shared by the plain and the streamed form. */
export interface Answer {
  id: string;
  created: number;
  model: string;
  content: string;
  promptTokens: number;
  completionTokens: number;
}

const ERROR_TYPES: Record<number, [type: string, code: string | null]> = {
  400: ['invalid_request_error', null],
  401: ['invalid_request_error', 'invalid_api_key'],
  403: ['invalid_request_error', 'forbidden'],
  404: ['invalid_request_error', 'not_found'],
  408: ['timeout', 'timeout'],
  413: ['invalid_request_error', 'request_too_large'],
  429: ['requests', 'rate_limit_exceeded'],
};

/** An OpenAI-shaped error body: what the SDK turns into its typed APIError subclasses. */
export function errorBody(status: number, message?: string, param: string | null = null): string {
  const [type, code] = ERROR_TYPES[status] ?? (status >= 500 ? ['server_error', null] : ['invalid_request_error', null]);
  return JSON.stringify({ error: { message: message ?? `simulated ${status} error`, type, param, code } });
}

/** Why a parsed body is not a chat completion request, or undefined when it is one. */
export function invalidChatRequest(body: unknown): { message: string; param: string } | undefined {
  if (body === null || typeof body !== 'object' || Array.isArray(body)) return { message: 'the body must be a JSON object', param: 'body' };
  const b = body as Record<string, unknown>;
  if (typeof b.model !== 'string' || b.model === '') return { message: "'model' must be a non-empty string", param: 'model' };
  if (!Array.isArray(b.messages) || b.messages.length === 0) return { message: "'messages' must be a non-empty array", param: 'messages' };
  return undefined;
}

export function wantsJson(req: ChatRequest): boolean {
  const type = req.response_format?.type;
  return type === 'json_object' || type === 'json_schema';
}

/** Roughly four characters a token: close enough for usage numbers and token metrics. */
export function estimateTokens(text: string): number {
  return Math.max(1, Math.ceil(text.length / 4));
}

function lastUserText(req: ChatRequest): string {
  for (let i = req.messages.length - 1; i >= 0; i--) {
    const m = req.messages[i];
    if (m?.role === 'user' && typeof m.content === 'string') return m.content;
  }
  return '';
}

function promptText(req: ChatRequest): string {
  let text = '';
  for (const m of req.messages) if (typeof m?.content === 'string') text += m.content;
  return text;
}

/**
 * The answer text: fixed (`content`) or an echo of the last user message, so a test can tell which request
 * (and which simulator, by `name`) an answer came from. `prose` forces non-JSON text in JSON mode.
 */
export function answerContent(req: ChatRequest, name: string, fixed: string | undefined, prose: boolean): string {
  const snippet = lastUserText(req).slice(0, 80);
  const text = fixed ?? `Simulated answer from ${name}: you said "${snippet}".`;
  if (prose) return `Sure! ${text} (this is not JSON)`;
  return wantsJson(req) ? jsonAnswer(text, req.response_format?.json_schema?.schema) : text;
}

export function makeAnswer(id: string, created: number, req: ChatRequest, content: string): Answer {
  return {
    id,
    created,
    model: req.model,
    content,
    promptTokens: estimateTokens(promptText(req)),
    completionTokens: content === '' ? 0 : estimateTokens(content),
  };
}

function usage(a: Answer) {
  return { prompt_tokens: a.promptTokens, completion_tokens: a.completionTokens, total_tokens: a.promptTokens + a.completionTokens };
}

export function completionBody(a: Answer): string {
  return JSON.stringify({
    id: a.id,
    object: 'chat.completion',
    created: a.created,
    model: a.model,
    choices: [{ index: 0, message: { role: 'assistant', content: a.content, refusal: null }, logprobs: null, finish_reason: 'stop' }],
    usage: usage(a),
  });
}

/** One SSE event carrying a chat.completion.chunk. */
export function chunkEvent(a: Answer, delta: Record<string, string>, finishReason: 'stop' | null = null): string {
  const chunk = {
    id: a.id,
    object: 'chat.completion.chunk',
    created: a.created,
    model: a.model,
    choices: [{ index: 0, delta, logprobs: null, finish_reason: finishReason }],
  };
  return `data: ${JSON.stringify(chunk)}\n\n`;
}

/** The trailing usage chunk OpenAI sends when `stream_options.include_usage` is set: no choices. */
export function usageEvent(a: Answer): string {
  const chunk = { id: a.id, object: 'chat.completion.chunk', created: a.created, model: a.model, choices: [], usage: usage(a) };
  return `data: ${JSON.stringify(chunk)}\n\n`;
}

export const DONE_EVENT = 'data: [DONE]\n\n';

/** An SSE data line that starts like a chunk and is not JSON. */
export function malformedEvent(a: Answer): string {
  return `data: {"id":"${a.id}","object":"chat.completion.chunk","choices":[{"delta":{"content":"trunc\n\n`;
}

/**
 * `text` in `n` consecutive pieces that join back to it. Pieces are never empty: a text shorter than `n`
 * is padded with spaces (still valid JSON in JSON mode).
 */
export function splitInto(text: string, n: number): string[] {
  const padded = text.length < n ? text.padEnd(n, ' ') : text;
  const pieces: string[] = [];
  for (let i = 0; i < n; i++) {
    pieces.push(padded.slice(Math.floor((i * padded.length) / n), Math.floor(((i + 1) * padded.length) / n)));
  }
  return pieces;
}
