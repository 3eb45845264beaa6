import type OpenAI from 'openai';
import type { Stream } from 'openai/streaming';
import type { ChatCompletionChunk, ChatCompletionCreateParams } from 'openai/resources/chat/completions';

/**
 * How an endpoint's calls reach its provider. Failures are thrown as the openai SDK's error classes
 * (APIError subclasses by status, APIConnectionError, APIUserAbortError) whichever transport runs, so one
 * classifier serves both.
 */
export interface Transport {
  /** Resolves to whatever the body parsed to (a string for a non-JSON content type): validate before use. */
  complete(body: ChatCompletionCreateParams, signal: AbortSignal, headers?: Record<string, string>): Promise<unknown>;
  stream(body: ChatCompletionCreateParams, signal: AbortSignal, headers?: Record<string, string>): Promise<Stream<ChatCompletionChunk>>;
  /** Releases pooled connections. */
  close(): void;
}

/**
 * `sdk`: the openai SDK client (the default for the library: exactly what `new OpenAI()` would send).
 * `native`: a lean keep-alive `node:http` client speaking the same API, for the gateway's hot path, where the
 * SDK's fetch/webstreams machinery costs several times the rest of the request (bench/RESULTS.md).
 */
export type TransportKind = 'sdk' | 'native';

export function sdkTransport(client: OpenAI): Transport {
  return {
    complete: (body, signal, headers) => client.chat.completions.create({ ...body, stream: false }, { signal, headers, maxRetries: 0 }),
    stream: (body, signal, headers) => client.chat.completions.create({ ...body, stream: true }, { signal, headers, maxRetries: 0 }),
    close: () => undefined,
  };
}
