import type { ChatCompletion, ChatCompletionChunk, ChatCompletionMessageToolCall } from 'openai/resources/chat/completions';
import { InvalidResponseError } from '../../endpoint/classify.js';
import { chunk, isObject, malformed, num, nowSeconds, str, type DecodeContext, type StreamDecoder } from '../codec.js';

type Finish = ChatCompletion.Choice['finish_reason'];

/** Anthropic's stop_reason as OpenAI's finish_reason (docs/providers.md). */
export function finishReason(stop: unknown, jsonTool: boolean): Finish {
  switch (stop) {
    case 'max_tokens':
    case 'model_context_window_exceeded':
      return 'length';
    case 'tool_use':
      // The forced JSON tool is the answer itself, not a call for the caller to make.
      return jsonTool ? 'stop' : 'tool_calls';
    case 'refusal':
      return 'content_filter';
    default:
      // end_turn, stop_sequence, pause_turn.
      return 'stop';
  }
}

/** Anthropic's usage as OpenAI's: prompt tokens include the cached ones, which are also named apart. */
export function usageOf(u: unknown): ChatCompletion['usage'] {
  if (!isObject(u)) return undefined;
  const input = num(u.input_tokens) ?? 0;
  const read = num(u.cache_read_input_tokens) ?? 0;
  const written = num(u.cache_creation_input_tokens) ?? 0;
  const output = num(u.output_tokens) ?? 0;
  const prompt = input + read + written;
  return { prompt_tokens: prompt, completion_tokens: output, total_tokens: prompt + output, prompt_tokens_details: { cached_tokens: read } };
}

/** A Messages API answer as a ChatCompletion. */
export function decodeAnthropic(value: unknown, ctx: DecodeContext): ChatCompletion {
  if (!isObject(value) || !Array.isArray(value.content)) return malformed('no content list');
  let text = '';
  const calls: ChatCompletionMessageToolCall[] = [];
  for (const block of value.content as unknown[]) {
    if (!isObject(block)) continue;
    if (block.type === 'text' && typeof block.text === 'string') text += block.text;
    else if (block.type === 'tool_use' && typeof block.name === 'string') {
      const args = JSON.stringify(block.input ?? {});
      if (ctx.jsonTool !== undefined && block.name === ctx.jsonTool) text += args;
      else calls.push({ id: str(block.id) ?? `toolu_${calls.length}`, type: 'function', function: { name: block.name, arguments: args } });
    }
    // thinking / redacted_thinking blocks are not part of the OpenAI message.
  }
  const usage = usageOf(value.usage);
  return {
    id: str(value.id) ?? 'msg_unknown',
    object: 'chat.completion',
    created: nowSeconds(),
    model: str(value.model) ?? ctx.model,
    choices: [
      {
        index: 0,
        message: { role: 'assistant', content: text === '' && calls.length > 0 ? null : text, refusal: null, ...(calls.length > 0 ? { tool_calls: calls } : {}) },
        finish_reason: finishReason(value.stop_reason, ctx.jsonTool !== undefined),
        logprobs: null,
      },
    ],
    ...(usage ? { usage } : {}),
  };
}

/**
 * Messages API stream events as OpenAI chunks: message_start gives the id, model and input usage;
 * content_block_start/delta the text and tool calls; message_delta the stop reason and output usage;
 * message_stop the end. ping is skipped; `error` events are thrown by the SSE parser (codec-transport.ts).
 */
export function anthropicDecoder(ctx: DecodeContext): StreamDecoder {
  let id = 'msg_unknown';
  let model = ctx.model;
  const created = nowSeconds();
  let inputUsage: unknown;
  let usage: ChatCompletion['usage'];
  let stopped = false;
  /** Content block index -> OpenAI tool_calls index (undefined: a text block, or the JSON tool's). */
  const toolIndex = new Map<number, number>();
  const jsonBlocks = new Set<number>();
  let tools = 0;
  const one = (delta: ChatCompletionChunk.Choice.Delta, finish: ChatCompletionChunk.Choice['finish_reason'] = null) => [
    chunk(id, model, created, [{ index: 0, delta, finish_reason: finish, logprobs: null }]),
  ];
  return {
    event(v) {
      if (!isObject(v)) return malformed('a stream event that is not an object');
      switch (v.type) {
        case 'message_start': {
          const m = isObject(v.message) ? v.message : {};
          id = str(m.id) ?? id;
          model = str(m.model) ?? model;
          inputUsage = m.usage;
          return one({ role: 'assistant', content: '' });
        }
        case 'content_block_start': {
          const index = num(v.index) ?? -1;
          const block = isObject(v.content_block) ? v.content_block : {};
          if (block.type === 'text' && typeof block.text === 'string' && block.text !== '') return one({ content: block.text });
          if (block.type !== 'tool_use' || typeof block.name !== 'string') return [];
          if (ctx.jsonTool !== undefined && block.name === ctx.jsonTool) {
            jsonBlocks.add(index);
            return [];
          }
          const at = tools++;
          toolIndex.set(index, at);
          return one({ tool_calls: [{ index: at, id: str(block.id) ?? `toolu_${at}`, type: 'function', function: { name: block.name, arguments: '' } }] });
        }
        case 'content_block_delta': {
          const index = num(v.index) ?? -1;
          const d = isObject(v.delta) ? v.delta : {};
          if (d.type === 'text_delta' && typeof d.text === 'string') return d.text === '' ? [] : one({ content: d.text });
          if (d.type === 'input_json_delta' && typeof d.partial_json === 'string' && d.partial_json !== '') {
            if (jsonBlocks.has(index)) return one({ content: d.partial_json });
            const at = toolIndex.get(index);
            return at === undefined ? [] : one({ tool_calls: [{ index: at, function: { arguments: d.partial_json } }] });
          }
          // thinking_delta, signature_delta, citations: not part of the OpenAI stream.
          return [];
        }
        case 'message_delta': {
          const d = isObject(v.delta) ? v.delta : {};
          const u = isObject(v.usage) ? v.usage : {};
          usage = usageOf({ ...(isObject(inputUsage) ? inputUsage : {}), ...u });
          if (d.stop_reason === undefined || d.stop_reason === null) return [];
          return one({}, finishReason(d.stop_reason, ctx.jsonTool !== undefined));
        }
        case 'message_stop':
          stopped = true;
          return ctx.includeUsage && usage ? [chunk(id, model, created, [], usage)] : [];
        default:
          // ping, content_block_stop, and event types added later.
          return [];
      }
    },
    end() {
      if (!stopped) throw new InvalidResponseError('the stream ended before message_stop');
      return [];
    },
  };
}

/** An Anthropic error answer (`{type:'error', error:{type, message}}`) as the OpenAI-shaped error body. */
export function anthropicFailure(status: number, body: unknown): { status: number; body: unknown } {
  const inner = isObject(body) && isObject(body.error) ? body.error : undefined;
  if (!inner) return { status, body };
  const type = str(inner.type) ?? 'api_error';
  return { status, body: { error: { message: str(inner.message) ?? type, type, param: null, code: type } } };
}

/** An in-band `error` event before any content: overloaded_error is Anthropic's 529, others their status. */
export function anthropicStreamStatus(error: unknown): number {
  const type = isObject(error) ? str(error.type) : undefined;
  switch (type) {
    case 'overloaded_error':
      return 529;
    case 'rate_limit_error':
      return 429;
    case 'invalid_request_error':
      return 400;
    case 'authentication_error':
      return 401;
    case 'permission_error':
      return 403;
    case 'not_found_error':
      return 404;
    case 'request_too_large':
      return 413;
    default:
      return 500;
  }
}
