import type { ChatCompletionCreateParams } from 'openai/resources/chat/completions';
import { alternating, dataUrl, walkMessages, isObject, plainText, refuse, refuseUnsupported, stopList, toolArguments, type Encoded } from '../codec.js';

const T = 'gemini';

/** Parameters with no generateContent equivalent that would change the answer: refused (docs/providers.md). */
const REFUSED = ['logprobs', 'top_logprobs', 'logit_bias', 'audio', 'prediction', 'modalities', 'web_search_options'];

/** JSON Schema keywords Gemini's `responseSchema` / `parameters` (an OpenAPI subset) refuses: left out. */
const UNSUPPORTED_SCHEMA_KEYS = new Set(['$schema', 'additionalProperties', 'strict', '$id', '$ref', '$defs', 'definitions', 'examples', 'default', 'const']);

/** A JSON schema with the keywords Gemini refuses taken out, at every depth. */
export function geminiSchema(schema: unknown): unknown {
  if (Array.isArray(schema)) return schema.map(geminiSchema);
  if (!isObject(schema)) return schema;
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(schema)) {
    if (UNSUPPORTED_SCHEMA_KEYS.has(k)) continue;
    out[k] = k === 'properties' && isObject(v) ? Object.fromEntries(Object.entries(v).map(([name, s]) => [name, geminiSchema(s)])) : geminiSchema(v);
  }
  return out;
}

type Part = Record<string, unknown>;
interface Content {
  role: 'user' | 'model';
  parts: Part[];
}

function userParts(content: unknown): Part[] {
  if (typeof content === 'string') return [{ text: content }];
  if (!Array.isArray(content)) return refuse(T, 'messages', 'user content must be a string or parts');
  return content.map((part: unknown): Part => {
    if (isObject(part) && part.type === 'text' && typeof part.text === 'string') return { text: part.text };
    if (isObject(part) && part.type === 'image_url' && isObject(part.image_url) && typeof part.image_url.url === 'string') {
      const inline = dataUrl(part.image_url.url);
      if (inline) return { inlineData: { mimeType: inline.mediaType, data: inline.data } };
      return refuse(T, 'messages', 'an image must be a base64 data: URL (Gemini fetches no URLs)');
    }
    return refuse(T, 'messages', 'only text and image parts are supported');
  });
}

function contents(list: readonly unknown[]): { system: string | undefined; contents: Content[] } {
  const { turns: out, push } = alternating<Content['role'], Part>();
  /** tool_call_id -> function name: Gemini answers a call by name, OpenAI by id. */
  const names = new Map<string, string>();
  const system = walkMessages(T, list, {
    user: (m) => push('user', userParts(m.content)),
    assistant: (m) => {
      const parts: Part[] = [];
      const text = plainText(T, m.content, 'assistant');
      if (text !== '') parts.push({ text });
      for (const call of Array.isArray(m.tool_calls) ? (m.tool_calls as unknown[]) : []) {
        if (!isObject(call) || !isObject(call.function) || typeof call.function.name !== 'string') return refuse(T, 'messages', 'an assistant tool call needs a function name');
        if (typeof call.id === 'string') names.set(call.id, call.function.name);
        parts.push({ functionCall: { name: call.function.name, args: toolArguments(T, call.function.arguments) } });
      }
      push('model', parts);
    },
    tool: (m) => {
      const name = typeof m.tool_call_id === 'string' ? names.get(m.tool_call_id) : undefined;
      if (name === undefined) return refuse(T, 'messages', 'a tool message must answer a tool call of an earlier assistant message');
      push('user', [{ functionResponse: { name, response: { content: plainText(T, m.content, 'tool') } } }]);
    },
  });
  return { system, contents: out };
}

function toolConfig(choice: unknown): Record<string, unknown> | undefined {
  if (choice === undefined || choice === null) return undefined;
  if (choice === 'auto') return { functionCallingConfig: { mode: 'AUTO' } };
  if (choice === 'none') return { functionCallingConfig: { mode: 'NONE' } };
  if (choice === 'required') return { functionCallingConfig: { mode: 'ANY' } };
  if (isObject(choice) && isObject(choice.function) && typeof choice.function.name === 'string') {
    return { functionCallingConfig: { mode: 'ANY', allowedFunctionNames: [choice.function.name] } };
  }
  return refuse(T, 'tool_choice', 'expected auto, none, required or a named function');
}

/** An OpenAI chat request as `models/{model}:generateContent` (or `:streamGenerateContent?alt=sse`). */
export function encodeGemini(params: ChatCompletionCreateParams, stream: boolean): Encoded {
  const p = params as unknown as Record<string, unknown>;
  refuseUnsupported(T, p, REFUSED);
  const { system, contents: turns } = contents(Array.isArray(p.messages) ? p.messages : []);
  if (turns.length === 0) refuse(T, 'messages', 'at least one user or assistant message is needed');
  const format = isObject(p.response_format) ? p.response_format : undefined;
  const json = format?.type === 'json_object' || format?.type === 'json_schema';
  const schema = format?.type === 'json_schema' && isObject(format.json_schema) ? format.json_schema.schema : undefined;
  const max = typeof p.max_completion_tokens === 'number' ? p.max_completion_tokens : typeof p.max_tokens === 'number' ? p.max_tokens : undefined;
  const stop = stopList(p.stop);
  const generationConfig: Record<string, unknown> = {
    ...(max !== undefined ? { maxOutputTokens: max } : {}),
    ...(typeof p.temperature === 'number' ? { temperature: p.temperature } : {}),
    ...(typeof p.top_p === 'number' ? { topP: p.top_p } : {}),
    ...(stop ? { stopSequences: stop } : {}),
    ...(typeof p.n === 'number' && p.n > 1 ? { candidateCount: p.n } : {}),
    ...(typeof p.seed === 'number' ? { seed: p.seed } : {}),
    ...(typeof p.presence_penalty === 'number' && p.presence_penalty !== 0 ? { presencePenalty: p.presence_penalty } : {}),
    ...(typeof p.frequency_penalty === 'number' && p.frequency_penalty !== 0 ? { frequencyPenalty: p.frequency_penalty } : {}),
    ...(json ? { responseMimeType: 'application/json' } : {}),
    ...(isObject(schema) ? { responseSchema: geminiSchema(schema) } : {}),
  };
  const tools = Array.isArray(p.tools) && p.tools.length > 0
    ? [{ functionDeclarations: (p.tools as unknown[]).map((t) => {
        if (!isObject(t) || t.type !== 'function' || !isObject(t.function) || typeof t.function.name !== 'string') return refuse(T, 'tools', 'only function tools are supported');
        return { name: t.function.name, ...(typeof t.function.description === 'string' ? { description: t.function.description } : {}), ...(isObject(t.function.parameters) ? { parameters: geminiSchema(t.function.parameters) } : {}) };
      }) }]
    : undefined;
  const config = tools ? toolConfig(p.tool_choice) : undefined;
  const body = {
    contents: turns,
    ...(system !== undefined ? { systemInstruction: { parts: [{ text: system }] } } : {}),
    ...(Object.keys(generationConfig).length > 0 ? { generationConfig } : {}),
    ...(tools ? { tools } : {}),
    ...(config ? { toolConfig: config } : {}),
  };
  const model = encodeURIComponent(String(p.model));
  const includeUsage = isObject(p.stream_options) && p.stream_options.include_usage === true;
  return { path: stream ? `models/${model}:streamGenerateContent?alt=sse` : `models/${model}:generateContent`, body, context: { includeUsage, model: String(p.model) } };
}
