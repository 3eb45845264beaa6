import { jsonAnswer } from './json-answer.js';
import { estimateTokens, limitText, plannedToolCall, type ToolCallPlan } from './plan.js';

export { estimateTokens } from './plan.js';
export { invalidChatRequest } from './chat-params.js';

/** The part of a chat completion request the simulator reads. */
export interface ChatRequest {
  model: string;
  messages: Array<{ role?: unknown; content?: unknown }>;
  stream?: boolean;
  stream_options?: { include_usage?: boolean } | null;
  response_format?: { type?: string; json_schema?: { schema?: unknown } } | null;
  n?: number | null;
  max_tokens?: number | null;
  max_completion_tokens?: number | null;
  stop?: string | string[] | null;
  tools?: unknown;
  tool_choice?: unknown;
}

export type FinishReason = 'stop' | 'length' | 'tool_calls';

/** One choice of an answer. */
export interface ChoiceAnswer {
  /** Text content; empty for a tool call. */
  content: string;
  toolCall?: ToolCallPlan & { id: string };
  finish: FinishReason;
}

/** What one answer is made of, shared by the plain and the streamed form. */
export interface Answer {
  id: string;
  created: number;
  model: string;
  /** The first choice's text (every choice says the same). */
  content: string;
  choices: ChoiceAnswer[];
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
export function errorBody(status: number, message?: string, param: string | null = null, code?: string): string {
  const [type, defaultCode] = ERROR_TYPES[status] ?? (status >= 500 ? ['server_error', null] : ['invalid_request_error', null]);
  return JSON.stringify({ error: { message: message ?? `simulated ${status} error`, type, param, code: code ?? defaultCode } });
}

export function wantsJson(req: ChatRequest): boolean {
  const type = req.response_format?.type;
  return type === 'json_object' || type === 'json_schema';
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

/**
 * The whole answer: `n` alike choices, each a tool call (see plannedToolCall) or the text cut by `stop`
 * and `max_completion_tokens` / `max_tokens`.
 */
export function makeAnswer(id: string, created: number, req: ChatRequest, content: string): Answer {
  const last = req.messages[req.messages.length - 1];
  const call = content === '' ? undefined : plannedToolCall(req.tools, req.tool_choice, last?.role === 'tool', content);
  const limited = limitText(content, req.stop, req.max_completion_tokens ?? req.max_tokens);
  const n = typeof req.n === 'number' && req.n > 1 ? req.n : 1;
  const choices: ChoiceAnswer[] = [];
  for (let i = 0; i < n; i++) {
    choices.push(
      call
        ? { content: '', toolCall: { ...call, id: `call_${id.slice(-8)}_${i}` }, finish: 'tool_calls' }
        : { content: limited.text, finish: limited.finish },
    );
  }
  const said = call ? call.arguments : limited.text;
  return {
    id,
    created,
    model: req.model,
    content: call ? '' : limited.text,
    choices,
    promptTokens: estimateTokens(promptText(req)),
    completionTokens: said === '' ? 0 : estimateTokens(said) * n,
  };
}

function usage(a: Answer) {
  return { prompt_tokens: a.promptTokens, completion_tokens: a.completionTokens, total_tokens: a.promptTokens + a.completionTokens };
}

function message(c: ChoiceAnswer) {
  if (!c.toolCall) return { role: 'assistant', content: c.content, refusal: null };
  const { id, name, arguments: args } = c.toolCall;
  return { role: 'assistant', content: null, refusal: null, tool_calls: [{ id, type: 'function', function: { name, arguments: args } }] };
}

export function completionBody(a: Answer): string {
  return JSON.stringify({
    id: a.id,
    object: 'chat.completion',
    created: a.created,
    model: a.model,
    choices: a.choices.map((c, index) => ({ index, message: message(c), logprobs: null, finish_reason: c.finish })),
    usage: usage(a),
  });
}

/** One SSE event carrying a chat.completion.chunk for choice `index`. */
export function chunkEvent(a: Answer, delta: Record<string, unknown>, finishReason: FinishReason | null = null, index = 0): string {
  const chunk = {
    id: a.id,
    object: 'chat.completion.chunk',
    created: a.created,
    model: a.model,
    choices: [{ index, delta, logprobs: null, finish_reason: finishReason }],
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
