import type OpenAI from 'openai';
import { ChatCompletionRunner } from 'openai/lib/ChatCompletionRunner';
import { ChatCompletionStream } from 'openai/lib/ChatCompletionStream';
import { ChatCompletionStreamingRunner } from 'openai/lib/ChatCompletionStreamingRunner';
import { parseChatCompletion, validateInputTools } from 'openai/lib/parser';
import { addOutputText, parseResponse } from 'openai/lib/ResponsesParser';
import { ResponseStream } from 'openai/lib/responses/ResponseStream';
import type { ChatCompletionCreateParams } from 'openai/resources/chat/completions';
import type { CreateEmbeddingResponse } from 'openai/resources/embeddings';
import type { Response, ResponseCreateParams } from 'openai/resources/responses/responses';
import { Stream } from 'openai/streaming';
import { toSdkError } from '../errors/sdk-errors.js';
import { RoutedPromise } from './routed-promise.js';
import type {
  CallOptions,
  CircuitSnapshot,
  RequestOptions,
  RouteSnapshot,
  Routed,
  Router,
  RouterCompletions,
  RouterEmbeddings,
  RouterModel,
  RouterModelPage,
  RouterModels,
  RouterResponses,
} from './types.js';

/*
 * The openai SDK's surface over the router: `create` calls go straight to the router's dispatch (the
 * native transport's speed, no fetch or Response in the way) and come back as a RoutedPromise; the SDK's
 * own helpers (parse, stream, runTools, responses.stream) run unchanged over a client whose `create` is
 * the router's. Errors are the SDK's classes with Switchyard's facts (errors/sdk-errors.ts).
 */

export interface ClientDeps {
  readonly dispatch: Router['dispatch'];
  readonly dispatchEmbeddings: Router['dispatchEmbeddings'];
  readonly dispatchResponses: Router['dispatchResponses'];
  readonly routes: () => RouteSnapshot[];
  readonly circuits: () => CircuitSnapshot[];
}

export interface RouterClient {
  readonly chat: { readonly completions: RouterCompletions };
  readonly embeddings: RouterEmbeddings;
  readonly responses: RouterResponses;
  readonly models: RouterModels;
}

type HeaderSource = CallOptions['headers'];

/** Any header form the SDK takes (a Headers, pairs, a record with null to unset) as a plain record. */
function headerRecord(h: HeaderSource, into: Record<string, string> = {}): Record<string, string> | undefined {
  if (h === undefined || h === null) return undefined;
  const add = (k: string, v: unknown) => {
    if (v === null || v === undefined) delete into[k.toLowerCase()];
    else into[k.toLowerCase()] = Array.isArray(v) ? v.join(', ') : String(v);
  };
  if (h instanceof Headers) h.forEach((v, k) => add(k, v));
  else if (Array.isArray(h)) for (const pair of h as unknown[]) {
    if (Array.isArray(pair)) add(String(pair[0]), pair[1]);
    else headerRecord(pair as HeaderSource, into);
  }
  else if (typeof h === 'object') {
    // The SDK's NullableHeaders: `{ values: Headers, nulls: Set }`.
    const n = h as { values?: unknown; nulls?: unknown };
    if (n.values instanceof Headers && n.nulls instanceof Set) n.values.forEach((v, k) => add(k, v));
    else for (const [k, v] of Object.entries(h)) add(k, v);
  }
  return Object.keys(into).length > 0 ? into : undefined;
}

/** The router's options out of the SDK's: the rest (query, idempotency keys…) means nothing to a router. */
function routerOptions(o: CallOptions | undefined): RequestOptions | undefined {
  if (!o) return undefined;
  const out: RequestOptions = {};
  if (o.signal) out.signal = o.signal;
  if (o.timeout !== undefined) out.timeout = o.timeout;
  if (o.maxRetries !== undefined) out.maxRetries = o.maxRetries;
  if (o.cancellation) out.cancellation = o.cancellation;
  if (o.caller !== undefined) out.caller = o.caller;
  const headers = headerRecord(o.headers);
  if (headers) out.headers = headers;
  return out;
}

/** The stream with its errors as the SDK's classes; everything else as it was (one iteration, abort, tee). */
function sdkStream<T>(stream: Stream<T>): Stream<T> {
  const rethrow = (e: unknown) => {
    throw toSdkError(e);
  };
  return new Stream(() => {
    const it = stream[Symbol.asyncIterator]();
    return {
      next: () => it.next().then(undefined, rethrow),
      return: (v?: unknown) => (it.return ? it.return(v) : Promise.resolve({ done: true as const, value: undefined })),
    };
  }, stream.controller);
}

const asIs = <T>(v: unknown) => v as T;
const streamOrAsIs = (v: unknown) => (v instanceof Stream ? sdkStream(v) : v);

export function createClient(d: ClientDeps): RouterClient {
  const routed = <T>(call: Promise<Routed<unknown>>, map: (v: unknown) => T) => new RoutedPromise<T>(call, map, toSdkError);

  const completions = {
    create: (body: ChatCompletionCreateParams, options?: CallOptions) => routed(d.dispatch(body, routerOptions(options)), streamOrAsIs),
  } as RouterCompletions;
  const responses = {
    create: (body: ResponseCreateParams, options?: CallOptions) =>
      routed(d.dispatchResponses(body, routerOptions(options)), (v) => {
        if (v instanceof Stream) return sdkStream(v);
        // As the SDK: the joined text of the answer as `output_text`.
        addOutputText(v as Response);
        return v;
      }),
  } as RouterResponses;
  // What the SDK's helpers call: the router's own `create`s.
  const client = { chat: { completions }, responses } as unknown as OpenAI;

  completions.parse = ((body: ChatCompletionCreateParams & { stream?: false | null }, options?: CallOptions) => {
    validateInputTools(body.tools);
    return routed(d.dispatch({ ...body, stream: false }, routerOptions(options)), (c) =>
      parseChatCompletion(c as Parameters<typeof parseChatCompletion>[0], body),
    );
  }) as RouterCompletions['parse'];
  completions.stream = ((body, options) => ChatCompletionStream.createChatCompletion(client, body, options)) as RouterCompletions['stream'];
  completions.runTools = ((body: { stream?: boolean | null }, options: unknown) =>
    body.stream
      ? ChatCompletionStreamingRunner.runTools(client, body as never, options as never)
      : ChatCompletionRunner.runTools(client, body as never, options as never)) as RouterCompletions['runTools'];
  responses.parse = ((body: ResponseCreateParams, options?: CallOptions) =>
    routed(d.dispatchResponses({ ...body, stream: false }, routerOptions(options)), (r) => {
      addOutputText(r as Response);
      return parseResponse(r as Response, body);
    })) as RouterResponses['parse'];
  responses.stream = ((body, options) => ResponseStream.createResponse(client, body, options)) as RouterResponses['stream'];

  const embeddings: RouterEmbeddings = {
    create: (body, options) => routed(d.dispatchEmbeddings(body, routerOptions(options)), asIs<CreateEmbeddingResponse>),
  };
  const created = Math.floor(Date.now() / 1000);
  const models: RouterModels = { list: () => modelList(modelsOf(d, created)) };
  return { chat: { completions }, embeddings, responses, models };
}

/** Routes first (what callers are meant to name), then endpoints as routes of one: as GET /v1/models. */
/** The routes, then the endpoints, as OpenAI models with their chain and health: `models.list()` and GET /v1/models. */
export function modelsOf(d: Pick<ClientDeps, 'routes' | 'circuits'>, created: number): RouterModel[] {
  const circuits = new Map(d.circuits().map((c) => [c.endpoint, c]));
  const all = d.routes();
  return [...all.filter((r) => r.kind === 'route'), ...all.filter((r) => r.kind !== 'route')].map((r) => ({
    id: r.id,
    object: 'model',
    created,
    owned_by: 'switchyard',
    kind: r.kind,
    available: r.available,
    endpoints: r.endpoints.map((id) => {
      const c = circuits.get(id);
      return { id, provider: c?.provider ?? '', model: c?.model ?? '', state: c?.state ?? 'closed' };
    }),
  }));
}

function modelList(data: RouterModel[]): Promise<RouterModelPage> & AsyncIterable<RouterModel> {
  const page: RouterModelPage = {
    object: 'list',
    data,
    hasNextPage: () => false,
    getPaginatedItems: () => data,
    async *[Symbol.asyncIterator]() {
      yield* data;
    },
  };
  return Object.assign(Promise.resolve(page), { [Symbol.asyncIterator]: () => page[Symbol.asyncIterator]() });
}
