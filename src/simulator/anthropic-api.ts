import type { IncomingMessage, ServerResponse } from 'node:http';
import type { SimulatorCore } from './core.js';
import { sendJson } from './http.js';
import { admitNative, sse, type Dialect } from './native-turn.js';
import { answerContent, makeAnswer, splitInto, type Answer, type ChatRequest } from './responses.js';
import { cutAfter, firstTokenDelay, wait, type Turn } from './turn.js';
import { DEFAULT_CHUNKS } from './chat.js';

/*
 * Anthropic's Messages API (POST /v1/messages) as the simulator speaks it: `x-api-key`, its error bodies
 * (`{type:'error', error:{type, message}}`, 529 overloaded_error), answers with content blocks, and streams
 * with its named events (message_start, content_block_*, message_delta, message_stop, ping, error).
 */

const isObject = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);

const ERROR_TYPES: Record<number, string> = {
  400: 'invalid_request_error',
  401: 'authentication_error',
  402: 'billing_error',
  403: 'permission_error',
  404: 'not_found_error',
  413: 'request_too_large',
  429: 'rate_limit_error',
  500: 'api_error',
  529: 'overloaded_error',
};

/** Top-level fields the Messages API takes: anything else (an OpenAI-only field) is refused, as Anthropic does. */
const FIELDS = new Set(['model', 'max_tokens', 'messages', 'system', 'temperature', 'top_p', 'top_k', 'stop_sequences', 'stream', 'tools', 'tool_choice', 'metadata', 'thinking', 'service_tier']);

const blockText = (content: unknown): string =>
  typeof content === 'string' ? content : Array.isArray(content) ? content.map((b) => (isObject(b) && typeof b.text === 'string' ? b.text : typeof b === 'string' ? b : '')).join('') : '';

function read(body: unknown): ChatRequest | { invalid: string } {
  if (!isObject(body)) return { invalid: 'the body must be an object' };
  for (const k of Object.keys(body)) if (!FIELDS.has(k)) return { invalid: `${k}: Extra inputs are not permitted` };
  if (typeof body.model !== 'string' || body.model === '') return { invalid: 'model: Field required' };
  if (typeof body.max_tokens !== 'number' || body.max_tokens < 1) return { invalid: 'max_tokens: Field required' };
  if (typeof body.temperature === 'number' && (body.temperature < 0 || body.temperature > 1)) return { invalid: 'temperature: Input should be less than or equal to 1' };
  if (!Array.isArray(body.messages) || body.messages.length === 0) return { invalid: 'messages: at least one message is required' };
  if (body.system !== undefined && typeof body.system !== 'string' && !Array.isArray(body.system)) return { invalid: 'system: Input should be a valid string or list' };
  const messages: ChatRequest['messages'] = [];
  let last: unknown;
  for (const m of body.messages as unknown[]) {
    if (!isObject(m) || (m.role !== 'user' && m.role !== 'assistant')) return { invalid: "messages: roles must be 'user' or 'assistant' (system is a top-level field)" };
    if (m.role === last) return { invalid: 'messages: roles must alternate between user and assistant' };
    last = m.role;
    const blocks = Array.isArray(m.content) ? (m.content as unknown[]) : [];
    const result = blocks.find((b) => isObject(b) && b.type === 'tool_result');
    messages.push(result ? { role: 'tool', content: blockText((result as Record<string, unknown>).content) } : { role: m.role, content: blockText(m.content) });
  }
  const tools = Array.isArray(body.tools)
    ? (body.tools as unknown[]).map((t) => (isObject(t) ? { type: 'function', function: { name: t.name, parameters: t.input_schema } } : t))
    : undefined;
  const choice = isObject(body.tool_choice) ? body.tool_choice : undefined;
  return {
    model: body.model,
    messages,
    stream: body.stream === true,
    max_tokens: body.max_tokens,
    stop: Array.isArray(body.stop_sequences) ? (body.stop_sequences as string[]) : null,
    tools,
    tool_choice: choice?.type === 'tool' ? { type: 'function', function: { name: choice.name } } : choice?.type === 'none' ? 'none' : choice?.type === 'any' ? 'required' : undefined,
  };
}

export const anthropicDialect: Dialect = {
  keyHeader: 'x-api-key',
  headers: (req) => (typeof req.headers['anthropic-version'] === 'string' ? undefined : 'anthropic-version: header is required'),
  error: (status, message) => ({
    body: JSON.stringify({ type: 'error', error: { type: ERROR_TYPES[status] ?? (status >= 500 ? 'api_error' : 'invalid_request_error'), message: message ?? `simulated ${status} error` } }),
    headers: { 'request-id': `req_sim_${status}` },
  }),
  read,
};

const stopReason = (a: Answer) => (a.choices[0]!.toolCall ? 'tool_use' : a.choices[0]!.finish === 'length' ? 'max_tokens' : 'end_turn');
const usage = (a: Answer) => ({ input_tokens: a.promptTokens, output_tokens: a.completionTokens, cache_creation_input_tokens: 0, cache_read_input_tokens: 0 });

function message(a: Answer) {
  const c = a.choices[0]!;
  const content = c.toolCall
    ? [{ type: 'tool_use', id: `toolu_${a.id.slice(-8)}`, name: c.toolCall.name, input: JSON.parse(c.toolCall.arguments) as unknown }]
    : c.content === ''
      ? []
      : [{ type: 'text', text: c.content }];
  return { id: `msg_${a.id}`, type: 'message', role: 'assistant', model: a.model, content, stop_reason: stopReason(a), stop_sequence: null, usage: usage(a) };
}

/** POST /v1/messages. */
export async function handleAnthropic(core: SimulatorCore, req: IncomingMessage, res: ServerResponse): Promise<void> {
  const turn = await admitNative(core, req, res, anthropicDialect, '/v1/messages');
  if (!turn) return;
  const { fault, body } = turn;
  const content = fault?.kind === 'empty' ? '' : answerContent(body, core.name, turn.spec.content, fault?.kind === 'not_json');
  const answer = makeAnswer(core.nextId(), Math.floor(core.now() / 1000), { ...body, n: 1 }, content);
  if (body.stream) return stream(turn, answer);
  if (!(await wait(turn, firstTokenDelay(turn)))) return;
  const text = JSON.stringify(message(answer));
  if (fault?.kind === 'malformed') return sendJson(res, 200, text.slice(0, Math.floor(text.length / 2)));
  if (fault?.kind === 'cut') {
    res.writeHead(200, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(text) });
    return cutAfter(res, text.slice(0, Math.floor(text.length / 2)));
  }
  sendJson(res, 200, text, { 'request-id': `req_${answer.id}` });
}

async function stream(turn: Turn<ChatRequest>, a: Answer): Promise<void> {
  const { res, fault, spec } = turn;
  res.writeHead(200, { 'content-type': 'text/event-stream', 'cache-control': 'no-cache', 'request-id': `req_${a.id}` });
  const m = message(a);
  let pending = sse({ type: 'message_start', message: { ...m, content: [], stop_reason: null, usage: { ...m.usage, output_tokens: 1 } } }, 'message_start') + sse({ type: 'ping' }, 'ping');
  if (fault?.kind === 'malformed') return void res.end(`${pending}event: content_block_delta\ndata: {"type":"content_block_delta","index":0,"delta":{"type":"te\n\n`);
  const c = a.choices[0]!;
  const pieces = c.toolCall ? splitInto(c.toolCall.arguments, spec.chunks ?? DEFAULT_CHUNKS) : c.content === '' ? [] : splitInto(c.content, spec.chunks ?? DEFAULT_CHUNKS);
  if (pieces.length > 0) {
    const block = c.toolCall ? { type: 'tool_use', id: `toolu_${a.id.slice(-8)}`, name: c.toolCall.name, input: {} } : { type: 'text', text: '' };
    pending += sse({ type: 'content_block_start', index: 0, content_block: block }, 'content_block_start');
  }
  const cutAt = fault?.kind === 'cut' ? fault.afterChunks ?? 1 : Infinity;
  const errorAt = fault?.kind === 'error_event' ? fault.afterChunks ?? 0 : Infinity;
  for (let i = 0; i < pieces.length; i++) {
    if (i === cutAt) return cutAfter(res, pending);
    if (i === errorAt) break;
    const delay = i === 0 ? firstTokenDelay(turn) : spec.chunkDelayMs ?? 0;
    if (delay > 0 || spec.jitterMs) {
      res.write(pending);
      pending = '';
      if (!(await wait(turn, delay))) return;
    }
    const delta = c.toolCall ? { type: 'input_json_delta', partial_json: pieces[i] } : { type: 'text_delta', text: pieces[i] };
    pending += sse({ type: 'content_block_delta', index: 0, delta }, 'content_block_delta');
  }
  if (errorAt !== Infinity) return void res.end(pending + sse({ type: 'error', error: { type: 'overloaded_error', message: 'Overloaded' } }, 'error'));
  if (cutAt !== Infinity) return cutAfter(res, pending);
  if (pieces.length > 0) pending += sse({ type: 'content_block_stop', index: 0 }, 'content_block_stop');
  pending += sse({ type: 'message_delta', delta: { stop_reason: stopReason(a), stop_sequence: null }, usage: { output_tokens: a.completionTokens } }, 'message_delta');
  res.end(pending + sse({ type: 'message_stop' }, 'message_stop'));
}
