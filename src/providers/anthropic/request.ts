import type { ChatCompletionCreateParams } from 'openai/resources/chat/completions';
import { alternating, dataUrl, walkMessages, isObject, plainText, refuse, refuseUnsupported, stopList, toolArguments, type Encoded } from '../codec.js';

/** Anthropic requires `max_tokens`; OpenAI does not. Sent when the request names none (docs/providers.md). */
export const ANTHROPIC_DEFAULT_MAX_TOKENS = 4096;
/** The tool a `response_format` becomes: Anthropic's Messages API has no JSON mode of its own. */
export const JSON_TOOL = 'json_answer';

const T = 'anthropic';

/** Parameters with no Messages API equivalent that would change the answer: refused (docs/providers.md). */
const REFUSED = ['logprobs', 'top_logprobs', 'logit_bias', 'frequency_penalty', 'presence_penalty', 'audio', 'prediction', 'modalities', 'web_search_options'];

type Block = Record<string, unknown>;
interface Turn {
  role: 'user' | 'assistant';
  content: Block[];
}

function userBlocks(content: unknown): Block[] {
  if (typeof content === 'string') return [{ type: 'text', text: content }];
  if (!Array.isArray(content)) return refuse(T, 'messages', 'user content must be a string or parts');
  return content.map((part: unknown): Block => {
    if (!isObject(part)) return refuse(T, 'messages', 'a content part must be an object');
    if (part.type === 'text' && typeof part.text === 'string') return { type: 'text', text: part.text };
    if (part.type === 'image_url' && isObject(part.image_url) && typeof part.image_url.url === 'string') {
      const url = part.image_url.url;
      const inline = dataUrl(url);
      if (inline) return { type: 'image', source: { type: 'base64', media_type: inline.mediaType, data: inline.data } };
      if (/^https?:\/\//i.test(url)) return { type: 'image', source: { type: 'url', url } };
      return refuse(T, 'messages', 'an image must be a base64 data: URL or an http(s) URL');
    }
    return refuse(T, 'messages', `content parts of type ${typeof part.type === 'string' ? part.type.slice(0, 20) : 'unknown'} are not supported`);
  });
}

function assistantBlocks(m: Record<string, unknown>): Block[] {
  const out: Block[] = [];
  const text = plainText(T, m.content, 'assistant');
  if (text !== '') out.push({ type: 'text', text });
  if (Array.isArray(m.tool_calls)) {
    for (const call of m.tool_calls as unknown[]) {
      if (!isObject(call) || !isObject(call.function) || typeof call.id !== 'string' || typeof call.function.name !== 'string') {
        return refuse(T, 'messages', 'an assistant tool call needs an id and a function name');
      }
      out.push({ type: 'tool_use', id: call.id, name: call.function.name, input: toolArguments(T, call.function.arguments) });
    }
  }
  return out;
}

/** OpenAI's flat message list as Anthropic's system text and alternating user/assistant turns. */
function messages(list: readonly unknown[]): { system: string | undefined; turns: Turn[] } {
  const { turns, push } = alternating<Turn['role'], Block>();
  const system = walkMessages(T, list, {
    user: (m) => push('user', userBlocks(m.content)),
    assistant: (m) => push('assistant', assistantBlocks(m)),
    tool: (m) => {
      if (typeof m.tool_call_id !== 'string') return refuse(T, 'messages', 'a tool message needs its tool_call_id');
      push('user', [{ type: 'tool_result', tool_use_id: m.tool_call_id, content: plainText(T, m.content, 'tool') }]);
    },
  });
  return { system, turns: turns.map((t) => ({ role: t.role, content: t.parts })) };
}

function tools(list: unknown): Block[] | undefined {
  if (!Array.isArray(list) || list.length === 0) return undefined;
  return list.map((t: unknown) => {
    if (!isObject(t) || t.type !== 'function' || !isObject(t.function) || typeof t.function.name !== 'string') {
      return refuse(T, 'tools', 'only function tools are supported');
    }
    const f = t.function;
    // `strict` has no equivalent: Anthropic validates tool input against input_schema as given.
    return {
      name: f.name,
      ...(typeof f.description === 'string' ? { description: f.description } : {}),
      input_schema: isObject(f.parameters) ? f.parameters : { type: 'object', properties: {} },
    };
  });
}

function toolChoice(choice: unknown, parallel: unknown): Block | undefined {
  const noParallel = parallel === false ? { disable_parallel_tool_use: true } : {};
  if (choice === undefined || choice === null) return parallel === false ? { type: 'auto', ...noParallel } : undefined;
  if (choice === 'auto') return { type: 'auto', ...noParallel };
  if (choice === 'none') return { type: 'none' };
  if (choice === 'required') return { type: 'any', ...noParallel };
  if (isObject(choice) && choice.type === 'function' && isObject(choice.function) && typeof choice.function.name === 'string') {
    return { type: 'tool', name: choice.function.name, ...noParallel };
  }
  return refuse(T, 'tool_choice', 'expected auto, none, required or a named function');
}

/** The request's `response_format` as a forced tool, or undefined for text. */
function jsonTool(format: unknown): Block | undefined {
  if (!isObject(format) || format.type === 'text') return undefined;
  if (format.type === 'json_object') return { name: JSON_TOOL, description: 'Answer with a JSON object.', input_schema: { type: 'object' } };
  if (format.type === 'json_schema' && isObject(format.json_schema)) {
    const schema = format.json_schema.schema;
    if (isObject(schema) && schema.type !== undefined && schema.type !== 'object') {
      return refuse(T, 'response_format', 'the JSON schema must describe an object (it becomes a tool input)');
    }
    return { name: JSON_TOOL, description: 'Answer with JSON matching this schema.', input_schema: isObject(schema) ? schema : { type: 'object' } };
  }
  return refuse(T, 'response_format', 'expected text, json_object or json_schema');
}

/** An OpenAI chat request as a Messages API request (`POST /messages`). */
export function encodeAnthropic(params: ChatCompletionCreateParams, stream: boolean): Encoded {
  const p = params as unknown as Record<string, unknown>;
  if (typeof p.n === 'number' && p.n > 1) refuse(T, 'n', 'the Messages API returns one choice');
  refuseUnsupported(T, p, REFUSED);
  const { system, turns } = messages(Array.isArray(p.messages) ? p.messages : []);
  if (turns.length === 0) refuse(T, 'messages', 'at least one user or assistant message is needed');
  const forced = jsonTool(p.response_format);
  const ownTools = tools(p.tools);
  if (forced && ownTools) refuse(T, 'response_format', 'cannot be combined with tools (it is sent as a forced tool)');
  const maxTokens = typeof p.max_completion_tokens === 'number' ? p.max_completion_tokens : typeof p.max_tokens === 'number' ? p.max_tokens : ANTHROPIC_DEFAULT_MAX_TOKENS;
  const stop = stopList(p.stop);
  const choice = forced ? { type: 'tool', name: JSON_TOOL } : ownTools ? toolChoice(p.tool_choice, p.parallel_tool_calls) : undefined;
  const body: Record<string, unknown> = {
    model: p.model,
    max_tokens: maxTokens,
    messages: turns,
    ...(system !== undefined ? { system } : {}),
    // OpenAI's range is 0-2, Anthropic's 0-1: above 1 is sent as 1 (docs/providers.md).
    ...(typeof p.temperature === 'number' ? { temperature: Math.min(1, p.temperature) } : {}),
    ...(typeof p.top_p === 'number' ? { top_p: p.top_p } : {}),
    ...(stop ? { stop_sequences: stop } : {}),
    ...(forced ? { tools: [forced] } : ownTools ? { tools: ownTools } : {}),
    ...(choice ? { tool_choice: choice } : {}),
    ...(typeof p.user === 'string' ? { metadata: { user_id: p.user } } : {}),
    ...(stream ? { stream: true } : {}),
  };
  const includeUsage = isObject(p.stream_options) && p.stream_options.include_usage === true;
  return { path: 'messages', body, context: { includeUsage, model: String(p.model), ...(forced ? { jsonTool: JSON_TOOL } : {}) } };
}
