import type OpenAI from 'openai';
import type {
  ChatCompletionChunk,
  ChatCompletionCreateParams,
  ChatCompletionCreateParamsNonStreaming,
  ChatCompletionCreateParamsStreaming,
} from 'openai/resources/chat/completions';
import { ANSWER_HEARD, STREAMED_ANSWER } from './bounded-fetch.js';
import { tagHeaders } from './answer-headers.js';
import { maxEventBytes } from './answer-limit.js';
import { signalOf, type Cancellation } from './cancellation.js';
import type { StreamLimits } from './native-stream.js';
import { webEventStream } from './web-stream.js';

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
  /*
   * `text`, when given, is `body` already serialised (see SerializedBody): a transport that sends JSON as it
   * is may send it instead of serialising `body` again.
   */
  /**
   * Resolves to whatever the body parsed to (a string for a non-JSON content type), or a JsonAnswer holding
   * it: validate before use.
   */
  complete(body: ChatCompletionCreateParams, abort: Cancellation, headers?: Record<string, string>, text?: string): Promise<unknown>;
  stream(body: ChatCompletionCreateParams, abort: Cancellation, headers?: Record<string, string>, text?: string): Promise<ChunkStream>;
  /**
   * Why this transport can never send `body` (a codec's UnsupportedParameterError: `n` > 1 to Anthropic),
   * decided without a connection; undefined when it can. The router skips such an endpoint (`unsupported`)
   * rather than charge it: the request, not the endpoint's health, decided it. Absent: takes everything.
   */
  refusal?(body: ChatCompletionCreateParams, stream: boolean): Error | undefined;
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
 * attempt's signal and any headers: each option given is work in the SDK's request building. The request is
 * the SDK's own; a 2xx stream's body is read by the parser the native transport uses (web-stream.ts), with
 * the same per-event limit, memory budget and flow control, rather than by the SDK's.
 */
export function sdkTransport(client: OpenAI, limits: Partial<StreamLimits> = {}, close: () => void = () => undefined): Transport {
  const scrubber = limits.scrubber;
  const streamLimits: StreamLimits = {
    maxEventBytes: maxEventBytes(limits.maxEventBytes),
    ...(limits.budget ? { budget: limits.budget } : {}),
    ...(scrubber ? { scrubber } : {}),
  };
  // The boundedFetch under the client reads these from fetchOptions (the SDK passes them on): when the answer's
  // headers arrive, and whether to bound it per event.
  const options = (abort: Cancellation, headers: Record<string, string> | undefined, streamed: boolean) => {
    const fetchOptions = { [STREAMED_ANSWER]: streamed, ...(abort.heard ? { [ANSWER_HEARD]: () => abort.heard!() } : {}) } as FetchOptions;
    return headers ? { signal: signalOf(abort), headers, fetchOptions } : { signal: signalOf(abort), fetchOptions };
  };
  return {
    // The body already carries its `stream` flag (see Transport): the casts only pick the SDK's overload.
    complete: async (body, abort, headers) => {
      const { data, response } = await client.chat.completions.create(body as ChatCompletionCreateParamsNonStreaming, options(abort, headers, false)).withResponse();
      const answer: unknown = data;
      if (!scrubber) return tagHeaders(answer, response.headers);
      return typeof answer === 'string' ? scrubber.text(answer) : tagHeaders(scrubber.value(answer), response.headers);
    },
    stream: async (body, abort, headers) => {
      const response = await client.chat.completions.create(body as ChatCompletionCreateParamsStreaming, options(abort, headers, true)).asResponse();
      // The SDK's own stream reads an empty body as an empty stream.
      if (!response.body) return tagHeaders(webEventStream(new ReadableStream({ start: (c) => c.close() }), abort, streamLimits), response.headers);
      return tagHeaders(webEventStream(response.body, abort, streamLimits), response.headers);
    },
    close,
  };
}
