import { jsonAnswer } from './json-answer.js';
import { estimateTokens, limitText, plannedToolCall, type ToolCallPlan } from './plan.js';
import { checkRange, checkTools } from './chat-params.js';
import type { Invalid } from './turn.js';

/*
 * The Responses API's wire shapes (POST /v1/responses): the request fields the simulator reads, the
 * `response` object, and the named SSE events a streamed answer is made of.
 */

export interface ResponsesRequest {
  model: string;
  input: string | Array<Record<string, unknown>>;
  instructions?: string | null;
  stream?: boolean | null;
  tools?: unknown;
  tool_choice?: unknown;
  max_output_tokens?: number | null;
  previous_response_id?: string | null;
  text?: { format?: { type?: string; schema?: unknown } } | null;
  temperature?: number | null;
  top_p?: number | null;
}

const isObject = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);

export function invalidResponsesRequest(body: unknown): Invalid {
  if (!isObject(body)) return { message: 'the body must be a JSON object', param: 'body' };
  if (typeof body.model !== 'string' || body.model === '') return { message: "'model' must be a non-empty string", param: 'model' };
  const input = body.input;
  const okInput = (typeof input === 'string' && input !== '') || (Array.isArray(input) && input.length > 0 && input.every(isObject));
  if (!okInput) return { message: "'input' must be a non-empty string or a non-empty array of input items", param: 'input', code: 'invalid_type' };
  if (body.previous_response_id !== undefined && body.previous_response_id !== null && typeof body.previous_response_id !== 'string') {
    return { message: "Invalid type for 'previous_response_id': expected a string.", param: 'previous_response_id', code: 'invalid_type' };
  }
  // OpenAI's own floor: fewer than 16 output tokens is refused.
  return (
    checkRange(body, 'max_output_tokens', 16, 1_000_000, true) ??
    checkRange(body, 'temperature', 0, 2) ??
    checkRange(body, 'top_p', 0, 1) ??
    checkTools(body)
  );
}

function textOf(content: unknown): string {
  if (typeof content === 'string') return content;
  if (!Array.isArray(content)) return '';
  return content.map((p) => (isObject(p) && typeof p.text === 'string' ? p.text : '')).join('');
}

function items(req: ResponsesRequest): Array<Record<string, unknown>> {
  return typeof req.input === 'string' ? [{ role: 'user', content: req.input }] : req.input;
}

function lastUserText(req: ResponsesRequest): string {
  const list = items(req);
  for (let i = list.length - 1; i >= 0; i--) if (list[i]!.role === 'user') return textOf(list[i]!.content);
  return '';
}

export interface ResponsePlan {
  id: string;
  createdAt: number;
  model: string;
  /** Output text, when the answer is text (empty for an `empty` fault). */
  text: string;
  call?: ToolCallPlan & { id: string; callId: string };
  incomplete: boolean;
  inputTokens: number;
  outputTokens: number;
  req: ResponsesRequest;
  messageId: string;
}

export function planResponse(id: string, createdAt: number, req: ResponsesRequest, name: string, fixed: string | undefined, fault: string | undefined): ResponsePlan {
  const snippet = lastUserText(req).slice(0, 80);
  let text = fixed ?? `Simulated answer from ${name}: you said "${snippet}".`;
  const format = req.text?.format?.type;
  if (fault === 'not_json') text = `Sure! ${text} (this is not JSON)`;
  else if (format === 'json_schema' || format === 'json_object') text = jsonAnswer(text, req.text?.format?.schema);
  if (fault === 'empty') text = '';
  const list = items(req);
  const lastIsToolResult = list[list.length - 1]?.type === 'function_call_output';
  const call = text === '' ? undefined : plannedToolCall(req.tools, req.tool_choice, lastIsToolResult, text);
  const limited = limitText(text, undefined, req.max_output_tokens);
  const prompt = (req.instructions ?? '') + list.map((i) => textOf(i.content ?? i.output)).join('');
  const said = call ? call.arguments : limited.text;
  const suffix = id.slice(5);
  return {
    id,
    createdAt,
    model: req.model,
    text: call ? '' : limited.text,
    ...(call ? { call: { ...call, id: `fc_${suffix}`, callId: `call_${suffix}` } } : {}),
    incomplete: !call && limited.finish === 'length',
    inputTokens: estimateTokens(prompt),
    outputTokens: said === '' ? 0 : estimateTokens(said),
    req,
    messageId: `msg_${suffix}`,
  };
}

export function messageItem(p: ResponsePlan, done: boolean, text = p.text) {
  return {
    id: p.messageId,
    type: 'message',
    status: done ? (p.incomplete ? 'incomplete' : 'completed') : 'in_progress',
    role: 'assistant',
    content: done ? [outputText(text)] : [],
  };
}

export const outputText = (text: string) => ({ type: 'output_text', text, annotations: [], logprobs: [] });

export function callItem(p: ResponsePlan, done: boolean) {
  const c = p.call!;
  return { id: c.id, type: 'function_call', status: done ? 'completed' : 'in_progress', call_id: c.callId, name: c.name, arguments: done ? c.arguments : '' };
}

/** The output items of the finished answer. */
export function output(p: ResponsePlan): unknown[] {
  if (p.call) return [callItem(p, true)];
  return p.text === '' ? [] : [messageItem(p, true)];
}

/** The `response` object, as it is when `status` says. */
export function responseObject(p: ResponsePlan, status: 'in_progress' | 'completed' | 'incomplete') {
  const done = status !== 'in_progress';
  const r = p.req;
  return {
    id: p.id,
    object: 'response',
    created_at: p.createdAt,
    status,
    error: null,
    incomplete_details: status === 'incomplete' ? { reason: 'max_output_tokens' } : null,
    instructions: r.instructions ?? null,
    max_output_tokens: r.max_output_tokens ?? null,
    model: p.model,
    output: done ? output(p) : [],
    parallel_tool_calls: true,
    previous_response_id: r.previous_response_id ?? null,
    temperature: r.temperature ?? 1,
    text: r.text ?? { format: { type: 'text' } },
    tool_choice: r.tool_choice ?? 'auto',
    tools: Array.isArray(r.tools) ? r.tools : [],
    top_p: r.top_p ?? 1,
    usage: done
      ? {
          input_tokens: p.inputTokens,
          input_tokens_details: { cached_tokens: 0 },
          output_tokens: p.outputTokens,
          output_tokens_details: { reasoning_tokens: 0 },
          total_tokens: p.inputTokens + p.outputTokens,
        }
      : null,
  };
}

export const finalStatus = (p: ResponsePlan) => (p.incomplete ? 'incomplete' : 'completed');

/** One named SSE event, as OpenAI sends them: `event:` the type, `data:` the event with its type and sequence number. */
export function sseEvent(type: string, seq: number, fields: Record<string, unknown>): string {
  return `event: ${type}\ndata: ${JSON.stringify({ type, sequence_number: seq, ...fields })}\n\n`;
}
