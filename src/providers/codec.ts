import type { ChatCompletion, ChatCompletionChunk, ChatCompletionCreateParams } from 'openai/resources/chat/completions';
import { InvalidResponseError } from '../endpoint/classify.js';
import { UnsupportedParameterError } from './errors.js';

/*
 * A codec translates the OpenAI chat shape the router speaks to and from one provider's native API. Pure
 * functions over plain values: the transport (codec-transport.ts) does the HTTP, limits and cancellation.
 */

/** What a codec made of one request: where it goes, what is sent, and what the answer mapping needs. */
export interface Encoded {
  /** Path and query, relative to the provider's baseURL (no leading slash). */
  readonly path: string;
  readonly body: unknown;
  /** Per-request state for decoding (a forced JSON tool's name, whether usage was asked for). */
  readonly context: DecodeContext;
}

export interface DecodeContext {
  /** The request asked for `response_format` and it was sent as a forced tool of this name. */
  readonly jsonTool?: string;
  /** `stream_options.include_usage`: end the stream with a usage chunk. */
  readonly includeUsage: boolean;
  /** The model asked for, for an answer that names none. */
  readonly model: string;
}

/** Translates one provider stream's events into OpenAI chunks. */
export interface StreamDecoder {
  /** The chunks one event of the provider's stream makes (often none: pings, block stops). */
  event(value: unknown): ChatCompletionChunk[];
  /** The provider's stream ended: the last chunks (usage), or throws if it ended before it was whole. */
  end(): ChatCompletionChunk[];
}

export interface Codec {
  /** The provider type, as in the config. */
  readonly type: string;
  /** Headers on every call: the key, a version. */
  readonly headers: Record<string, string>;
  /** Throws UnsupportedParameterError for what the provider cannot take, before any network call. */
  encode(params: ChatCompletionCreateParams, stream: boolean): Encoded;
  /** A 2xx plain answer into a ChatCompletion; throws InvalidResponseError for a malformed one. */
  decode(value: unknown, context: DecodeContext): ChatCompletion;
  decoder(context: DecodeContext): StreamDecoder;
  /**
   * A non-2xx answer's parsed body (undefined if not JSON) and status, as the status and OpenAI-shaped
   * error body the openai SDK would have thrown, so classify.ts reads it like any other.
   */
  failure(status: number, body: unknown): { status: number; body: unknown };
  /** An error event inside a 2xx stream (before any content): the status it stands for. */
  streamFailureStatus(error: unknown): number;
}

export const isObject = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);
export const str = (v: unknown): string | undefined => (typeof v === 'string' ? v : undefined);
export const num = (v: unknown): number | undefined => (typeof v === 'number' && Number.isFinite(v) ? v : undefined);

/** Refuses with the provider's type named. */
export const refuse = (type: string, param: string, reason: string): never => {
  throw new UnsupportedParameterError(param, type, reason);
};

/** An answer that is not what the provider's API promises. */
export const malformed = (what: string): never => {
  throw new InvalidResponseError(`malformed answer: ${what}`);
};

/** The text of a message's content: a string, or its text parts joined. Other parts refuse. */
export function plainText(type: string, content: unknown, role: string): string {
  if (content === undefined || content === null) return '';
  if (typeof content === 'string') return content;
  if (!Array.isArray(content)) return refuse(type, 'messages', `${role} content must be a string or parts`);
  return content
    .map((part: unknown) => {
      if (isObject(part) && part.type === 'text' && typeof part.text === 'string') return part.text;
      if (isObject(part) && part.type === 'refusal' && typeof part.refusal === 'string') return part.refusal;
      return refuse(type, 'messages', `only text parts are taken in ${role} messages`);
    })
    .join('\n');
}

/**
 * Turns whose roles alternate, as Anthropic and Gemini want them: a message of the same role as the one
 * before (several tool results in a row) joins its turn.
 */
export function alternating<R extends string, P>(): { readonly turns: { role: R; parts: P[] }[]; push(role: R, parts: P[]): void } {
  const turns: { role: R; parts: P[] }[] = [];
  return {
    turns,
    push(role, parts) {
      if (parts.length === 0) return;
      const last = turns[turns.length - 1];
      if (last && last.role === role) last.parts.push(...parts);
      else turns.push({ role, parts });
    },
  };
}

/** What a codec makes of each non-system message (each an object by then). */
export interface MessageHandlers {
  user(m: Record<string, unknown>): void;
  assistant(m: Record<string, unknown>): void;
  tool(m: Record<string, unknown>): void;
}

/**
 * Walks OpenAI's message list: system and developer messages become one system text (joined by blank lines,
 * as both Anthropic and Gemini take it apart from the turns), the others go to their handler, anything else
 * is refused.
 */
export function walkMessages(type: string, list: readonly unknown[], on: MessageHandlers): string | undefined {
  const system: string[] = [];
  for (const m of list) {
    if (!isObject(m)) return refuse(type, 'messages', 'each message must be an object');
    switch (m.role) {
      case 'system':
      case 'developer':
        system.push(plainText(type, m.content, String(m.role)));
        break;
      case 'user':
      case 'assistant':
      case 'tool':
        on[m.role](m);
        break;
      default:
        return refuse(type, 'messages', 'only system, developer, user, assistant and tool messages are supported');
    }
  }
  return system.length > 0 ? system.join('\n\n') : undefined;
}

/** A `data:` URL's media type and base64 payload; undefined for any other URL. */
export function dataUrl(url: string): { mediaType: string; data: string } | undefined {
  const m = /^data:([a-z0-9.+/-]+);base64,([A-Za-z0-9+/=\s]*)$/i.exec(url);
  return m ? { mediaType: m[1]!.toLowerCase(), data: m[2]!.replace(/\s+/g, '') } : undefined;
}

/** The stop sequences as a list (`stop` may be a string, a list or null). */
export function stopList(stop: unknown): string[] | undefined {
  if (typeof stop === 'string') return [stop];
  if (Array.isArray(stop) && stop.every((s) => typeof s === 'string')) return stop.length > 0 ? (stop as string[]) : undefined;
  return undefined;
}

/** Tool call arguments (a JSON text) as an object, refused if they are not one. */
export function toolArguments(type: string, args: unknown): Record<string, unknown> {
  if (typeof args !== 'string' || args.trim() === '') return {};
  try {
    const v: unknown = JSON.parse(args);
    if (isObject(v)) return v;
  } catch {
    // refused below
  }
  return refuse(type, 'messages', 'an assistant tool call whose arguments are not a JSON object');
}

/** Parameters with no equivalent that change the answer: refused when set to anything but their no-op. */
export function refuseUnsupported(type: string, p: Record<string, unknown>, names: readonly string[]): void {
  for (const name of names) {
    const v = p[name];
    if (v === undefined || v === null || v === false || v === 0) continue;
    if (isObject(v) && Object.keys(v).length === 0) continue;
    if (name === 'modalities' && Array.isArray(v) && v.every((m) => m === 'text')) continue;
    refuse(type, name, 'not supported by this provider');
  }
}

export const nowSeconds = () => Math.floor(Date.now() / 1000);

/** The chunk frame every translated event goes in. */
export function chunk(id: string, model: string, created: number, choices: ChatCompletionChunk['choices'], usage?: ChatCompletionChunk['usage']): ChatCompletionChunk {
  return { id, object: 'chat.completion.chunk', created, model, choices, ...(usage ? { usage } : {}) };
}
