import type OpenAI from 'openai';
import type {
  ChatCompletionChunk,
  ChatCompletionCreateParams,
  ChatCompletionCreateParamsNonStreaming,
  ChatCompletionCreateParamsStreaming,
} from 'openai/resources/chat/completions';
import { STREAMED_ANSWER } from './bounded-fetch.js';
import { signalOf, type Cancellation } from './cancellation.js';

export type { Cancellation } from './cancellation.js';

/**
 * A provider's stream of chunks: the openai SDK's `Stream` is one; `controller.abort()` stops it and cuts
 * the connection.
 */
export interface ChunkStream extends AsyncIterable<ChatCompletionChunk> {
  readonly controller: { abort(): void };
}

/**
 * A JSON answer with the bytes it was parsed from, so that a gateway can pass them on instead of serialising
 * the value again. A transport may resolve `complete` to one; the value is what gets validated.
 */
export class JsonAnswer {
  constructor(
    readonly value: unknown,
    readonly bytes: Buffer,
  ) {}
}

/**
 * How an endpoint's calls reach its provider. Failures are thrown as the openai SDK's error classes
 * (APIError subclasses by status, APIConnectionError, APIUserAbortError) whichever transport runs, so one
 * classifier serves both. `body` already names the endpoint's model and its `stream` flag.
 */
export interface Transport {
  /**
   * Resolves to whatever the body parsed to (a string for a non-JSON content type), or a JsonAnswer holding
   * it: validate before use.
   */
  complete(body: ChatCompletionCreateParams, abort: Cancellation, headers?: Record<string, string>): Promise<unknown>;
  stream(body: ChatCompletionCreateParams, abort: Cancellation, headers?: Record<string, string>): Promise<ChunkStream>;
  /** Releases pooled connections. */
  close(): void;
}

/**
 * `native` (the default): a lean keep-alive client over undici's pool speaking the same API; the SDK's
 * fetch/web-streams machinery costs several times the rest of a request (bench/RESULTS.md).
 * `sdk`: the openai SDK client, exactly what `new OpenAI()` would send (the one a custom `fetch` goes through).
 */
export type TransportKind = 'sdk' | 'native';

type FetchOptions = NonNullable<NonNullable<Parameters<OpenAI['chat']['completions']['create']>[1]>['fetchOptions']>;

/**
 * The SDK client must be built with `maxRetries: 0` (the router retries), and its fetch wrapped by
 * `boundedFetch` for its answers to be bounded. Per-call options carry only the
 * attempt's signal and any headers: each option given is work in the SDK's request building.
 */
export function sdkTransport(client: OpenAI): Transport {
  const options = (abort: Cancellation, headers: Record<string, string> | undefined) =>
    headers ? { signal: signalOf(abort), headers } : { signal: signalOf(abort) };
  // Tells a boundedFetch under the client to bound this answer per event (the SDK passes fetchOptions on).
  const streamed = { fetchOptions: { [STREAMED_ANSWER]: true } as FetchOptions };
  return {
    // The body already carries its `stream` flag (see Transport): the casts only pick the SDK's overload.
    complete: (body, abort, headers) => client.chat.completions.create(body as ChatCompletionCreateParamsNonStreaming, options(abort, headers)),
    stream: (body, abort, headers) =>
      client.chat.completions.create(body as ChatCompletionCreateParamsStreaming, { ...options(abort, headers), ...streamed }),
    close: () => undefined,
  };
}
