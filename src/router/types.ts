import type { EventEmitter } from 'node:events';
import type OpenAI from 'openai';
import type { Stream } from 'openai/streaming';
import type {
  ChatCompletion,
  ChatCompletionChunk,
  ChatCompletionCreateParamsNonStreaming,
  ChatCompletionCreateParamsStreaming,
  ChatCompletionCreateParams,
} from 'openai/resources/chat/completions';
import type { CreateEmbeddingResponse, EmbeddingCreateParams } from 'openai/resources/embeddings';
import type {
  Response,
  ResponseCreateParams,
  ResponseCreateParamsNonStreaming,
  ResponseCreateParamsStreaming,
  ResponseStreamEvent,
} from 'openai/resources/responses/responses';
import type { ExtractParsedContentFromParams } from 'openai/lib/parser';
import type { ExtractParsedContentFromParams as ExtractResponseParsed, ResponseCreateParamsWithTools } from 'openai/lib/ResponsesParser';
import type { ChatCompletionParseParams, ParsedChatCompletion } from 'openai/resources/chat/completions';
import type { ParsedResponse } from 'openai/resources/responses/responses';
import type { Cancellation } from '../endpoint/cancellation.js';
import type { RoutedPromise } from './routed-promise.js';
import type { CircuitStateName, RouterEvents } from './events.js';

/** Per-call options, as the openai SDK's (the ones a router can honour). */
export interface RequestOptions {
  /** Aborting it cancels the request: outcome `cancelled`, nothing counted against any circuit. */
  signal?: AbortSignal | undefined | null;
  /**
   * The same as `signal` without an AbortSignal's cost (a few µs per call on Node 20): any object with
   * `aborted` and `onAbort(fn)`, such as a `CancelSource`. The gateway uses it for the client going away.
   * One that outlives the request should have `offAbort(fn)` (a CancelSource has): the request drops its
   * callback with it when it ends.
   */
  cancellation?: Cancellation | undefined;
  /** Overrides the route's deadline for this call (ms). */
  timeout?: number | undefined;
  /**
   * Caps the retries on the same endpoint for this call (its `retry.retries` otherwise; never raises it), as
   * the openai SDK's per-call `maxRetries`. Fallbacks to the route's other endpoints are not retries.
   */
  maxRetries?: number | undefined;
  /** Extra headers forwarded to the provider. */
  headers?: Record<string, string> | undefined;
  /**
   * Who sent the request (a tenant, an API key's id; never a label): a caller's failures of unclear blame
   * weigh on an endpoint's circuit at most once per rolling window. Unknown: each request alone.
   */
  caller?: string | undefined;
}

/**
 * A user check on a finished (non-streaming) completion. Return a string (the reason) or throw to reject
 * it: the attempt becomes `invalid_response` and the router falls back.
 */
export type ResponseValidator = (
  completion: ChatCompletion,
  context: { route: string; endpoint: string; params: ChatCompletionCreateParams },
) => string | undefined | void | Promise<string | undefined | void>;


/** One circuit, as `router.circuits()` and `GET /admin/circuits` show it. */
export interface CircuitSnapshot {
  readonly endpoint: string;
  readonly provider: string;
  readonly model: string;
  readonly state: CircuitStateName;
  /** Set while an operator override holds the circuit. */
  readonly forced?: 'open';
  /** Counts in the rolling window. */
  readonly window: { readonly attempts: number; readonly successes: number; readonly failures: number };
  /** failures / attempts in the window, 0..1 (0 with no attempts). */
  readonly failureRate: number;
  /** Epoch ms the circuit last opened, while it is open or half-open. */
  readonly openedAt?: number;
  /** Epoch ms of the next half-open probe, while it is open. */
  readonly nextProbeAt?: number;
  /** Epoch ms until which a Retry-After keeps traffic away. */
  readonly retryAfterUntil?: number;
  /** Consecutive trips without a successful probe (drives the open-period backoff). */
  readonly consecutiveTrips: number;
  /**
   * With a shared state store (`state.store: redis`): `fleet` when the state shown is the fleet's, `replica`
   * when it is this process's own breaker (the fleet holds nothing back, or the store is unreachable).
   * Absent with `state.store: memory`.
   */
  readonly source?: 'replica' | 'fleet';
  /** Attempts in flight on the endpoint now. */
  readonly inFlight: number;
  /** The endpoint's `maxConcurrent`, when it has one: at it, requests skip the endpoint (`saturated`). */
  readonly maxConcurrent?: number;
}

/** A route or endpoint callers may name, with its health. */
export interface RouteSnapshot {
  readonly id: string;
  readonly kind: 'route' | 'endpoint';
  readonly endpoints: readonly string[];
  /** True while at least one endpoint of it admits traffic. */
  readonly available: boolean;
}

/** An answer with who gave it: what the gateway turns into `x-switchyard-*` headers. */
export interface Routed<T> {
  readonly route: string;
  /** The endpoint that answered. */
  readonly endpoint: string;
  /** Attempts made, retries and fallbacks included (for a stream: up to and including the one that answered). */
  readonly attempts: number;
  readonly response: T;
  /**
   * A plain answer's bytes exactly as the provider sent them, when the transport kept them (`native`): a
   * gateway passes them on instead of serialising `response` again. A validator that changes `response`
   * does not change these.
   */
  readonly bytes?: Buffer;
}

export interface Router {
  readonly chat: { readonly completions: RouterCompletions };
  readonly embeddings: RouterEmbeddings;
  readonly responses: RouterResponses;
  /** The routes and endpoints callers may name, as the gateway's GET /v1/models. */
  readonly models: RouterModels;
  /** As `chat.completions.create`, with the route, answering endpoint and attempt count alongside. */
  dispatch(body: ChatCompletionCreateParamsNonStreaming, options?: RequestOptions): Promise<Routed<ChatCompletion>>;
  dispatch(body: ChatCompletionCreateParamsStreaming, options?: RequestOptions): Promise<Routed<Stream<ChatCompletionChunk>>>;
  dispatch(body: ChatCompletionCreateParams, options?: RequestOptions): Promise<Routed<ChatCompletion | Stream<ChatCompletionChunk>>>;
  /** Embeddings (`POST /v1/embeddings`) through the route, as `dispatch` does chat. */
  dispatchEmbeddings(body: EmbeddingCreateParams, options?: RequestOptions): Promise<Routed<CreateEmbeddingResponse>>;
  /**
   * The Responses API (`POST /v1/responses`), plain or streamed, through the route; a request naming a
   * `previous_response_id` this router saw answered goes only to endpoints of the provider that holds it.
   */
  dispatchResponses(body: ResponseCreateParamsNonStreaming, options?: RequestOptions): Promise<Routed<Response>>;
  dispatchResponses(body: ResponseCreateParamsStreaming, options?: RequestOptions): Promise<Routed<Stream<ResponseStreamEvent>>>;
  dispatchResponses(body: ResponseCreateParams, options?: RequestOptions): Promise<Routed<Response | Stream<ResponseStreamEvent>>>;
  /** Events for telemetry and health-aware callers (see RouterEvents). */
  readonly events: EventEmitter<RouterEvents>;
  /** State of every circuit. */
  circuits(): CircuitSnapshot[];
  /** Every route and endpoint that can be named in `model`. */
  routes(): RouteSnapshot[];
  /** Operator overrides. `open` holds the circuit open until `close` or `reset`; `reset` also clears its window and backoff. */
  forceOpen(endpoint: string): void;
  forceClose(endpoint: string): void;
  reset(endpoint: string): void;
  /**
   * Health of the shared state store (`state.store: redis`): whether it answers, and the age of this
   * replica's view of the fleet. Undefined with `state.store: memory`.
   */
  stateStatus?(): { readonly up: boolean; readonly lagSeconds: number } | undefined;
  /** Stops every breaker timer and aborts in-flight attempts; the process can exit afterwards. */
  close(): Promise<void>;
}

/** Options beyond the config file: code, not YAML. */
export interface RouterOptions {
  /** Rejects answers the config's checks accept (see ResponseValidator). */
  validator?: ResponseValidator;
  /** Clock, for tests (epoch ms). Default Date.now. */
  now?: () => number;
  /** Random source in [0, 1) for jitter, for tests. Default Math.random. */
  random?: () => number;
  /** Replaces the global fetch for provider calls (tests, proxies); providers then default to the `sdk` transport. */
  fetch?: typeof fetch;
  /**
   * How providers are called unless their config says: `native` (default: a keep-alive client over undici's
   * pool, several times cheaper per call) or `sdk` (an openai SDK client, exactly what `new OpenAI()` sends).
   * Default `sdk` when `fetch` is given.
   */
  transport?: 'sdk' | 'native';
  /** Environment for `${VAR}` substitution in the config. Default process.env. */
  env?: NodeJS.ProcessEnv;
}

export type { OpenAI };

/*
 * The openai SDK's call surface, as the router serves it (router/client.ts). The helpers (`stream`,
 * `runTools`, `responses.stream`) are the SDK's own classes run over the router.
 */

type SdkRequestOptions = NonNullable<Parameters<OpenAI['chat']['completions']['create']>[1]>;

/**
 * Per-call options as the openai SDK takes them: `signal`, `timeout`, `headers` (any form the SDK takes)
 * and `maxRetries` are honoured (see RequestOptions); the SDK's other options are accepted and ignored.
 */
export type CallOptions = Omit<SdkRequestOptions, 'headers' | 'signal' | 'timeout' | 'maxRetries'> &
  Omit<RequestOptions, 'headers'> & { headers?: SdkRequestOptions['headers'] };

/** `router.chat.completions`: `create`, `parse`, `stream` and `runTools`, as `new OpenAI().chat.completions`. */
export interface RouterCompletions {
  create(body: ChatCompletionCreateParamsNonStreaming, options?: CallOptions): RoutedPromise<ChatCompletion>;
  create(body: ChatCompletionCreateParamsStreaming, options?: CallOptions): RoutedPromise<Stream<ChatCompletionChunk>>;
  create(body: ChatCompletionCreateParams, options?: CallOptions): RoutedPromise<ChatCompletion | Stream<ChatCompletionChunk>>;
  /** Structured output (`zodResponseFormat`, `zodFunction`): the completion with `message.parsed`. */
  parse<Params extends ChatCompletionParseParams, ParsedT = ExtractParsedContentFromParams<Params>>(
    body: Params,
    options?: CallOptions,
  ): RoutedPromise<ParsedChatCompletion<ParsedT>>;
  stream: OpenAI['chat']['completions']['stream'];
  runTools: OpenAI['chat']['completions']['runTools'];
}

export interface RouterEmbeddings {
  create(body: EmbeddingCreateParams, options?: CallOptions): RoutedPromise<CreateEmbeddingResponse>;
}

export interface RouterResponses {
  create(body: ResponseCreateParamsNonStreaming, options?: CallOptions): RoutedPromise<Response>;
  create(body: ResponseCreateParamsStreaming, options?: CallOptions): RoutedPromise<Stream<ResponseStreamEvent>>;
  create(body: ResponseCreateParams, options?: CallOptions): RoutedPromise<Response | Stream<ResponseStreamEvent>>;
  parse<Params extends ResponseCreateParamsWithTools, ParsedT = ExtractResponseParsed<Params>>(
    body: Params,
    options?: CallOptions,
  ): RoutedPromise<ParsedResponse<ParsedT>>;
  stream: OpenAI['responses']['stream'];
}

/** One route or endpoint in `models.list()`: the OpenAI model shape plus its chain and health (as GET /v1/models). */
export interface RouterModel {
  id: string;
  object: 'model';
  created: number;
  owned_by: 'switchyard';
  kind: RouteSnapshot['kind'];
  available: boolean;
  endpoints: { id: string; provider: string; model: string; state: CircuitStateName }[];
}

/** What `models.list()` resolves to: one page holding every route and endpoint, iterable as the SDK's pages. */
export interface RouterModelPage extends AsyncIterable<RouterModel> {
  object: 'list';
  data: RouterModel[];
  hasNextPage(): boolean;
  getPaginatedItems(): RouterModel[];
}

export interface RouterModels {
  /** Awaitable (a page) and async-iterable (its models), as the SDK's `models.list()`. */
  list(options?: CallOptions): Promise<RouterModelPage> & AsyncIterable<RouterModel>;
}
