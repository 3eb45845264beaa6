import OpenAI from 'openai';
import type { EmbeddingCreateParams } from 'openai/resources/embeddings';
import type { ResponseCreateParams, ResponseStreamEvent } from 'openai/resources/responses/responses';
import type { Stream } from 'openai/streaming';
import type { ProviderConfig, SwitchyardConfig } from '../config/schema.js';
import { tagHeaders } from './answer-headers.js';
import { boundedFetch, STREAMED_ANSWER } from './bounded-fetch.js';
import { signalOf, type Cancellation } from './cancellation.js';
import { defaultOperations, type Operation } from './operation.js';

/*
 * How the operations other than chat reach a provider: through an openai SDK client per provider, built as
 * the chat SDK transport builds its own (retries left to the router, every credential explicit, answers
 * bounded, nothing logged). Chat keeps its own transport (the native one by default), the hot path.
 */

export interface OperationClient {
  /** Resolves to whatever the body parsed to: validate before trusting it. */
  embeddings(body: EmbeddingCreateParams, abort: Cancellation, headers?: Record<string, string>): Promise<unknown>;
  responses(body: ResponseCreateParams & { stream?: false | null }, abort: Cancellation, headers?: Record<string, string>): Promise<unknown>;
  responsesStream(body: ResponseCreateParams, abort: Cancellation, headers?: Record<string, string>): Promise<Stream<ResponseStreamEvent>>;
}

type FetchOptions = NonNullable<NonNullable<Parameters<OpenAI['chat']['completions']['create']>[1]>['fetchOptions']>;

function client(p: ProviderConfig, fetchImpl: typeof fetch | undefined): OpenAI {
  // Azure: the v1 API (classic deployments serve chat only, see endpointOperations), its key in `api-key`.
  const azure = p.type === 'azure';
  // No key (or Azure's): no Authorization header at all, rather than the SDK's `Bearer no-key`.
  const headers = { ...(p.apiKey && !azure ? {} : { authorization: null }), ...p.headers, ...(azure && p.apiKey ? { 'api-key': p.apiKey } : {}) };
  return new OpenAI({
    baseURL: azure ? `${p.baseURL.replace(/\/+$/, '')}/openai/v1` : p.baseURL,
    apiKey: p.apiKey ?? 'no-key',
    organization: null,
    project: null,
    maxRetries: 0,
    logLevel: 'off',
    timeout: 10 * 60_000,
    defaultHeaders: headers,
    fetch: boundedFetch(fetchImpl ?? fetch),
  });
}

export function operationClient(c: OpenAI): OperationClient {
  const options = (abort: Cancellation, headers: Record<string, string> | undefined) =>
    headers ? { signal: signalOf(abort), headers } : { signal: signalOf(abort) };
  // Tells the boundedFetch under the client to bound this answer per event rather than as a whole.
  const streamed = { fetchOptions: { [STREAMED_ANSWER]: true } as FetchOptions };
  return {
    // Raw posts, not the SDK's resource methods: its embeddings method asks for base64 and decodes it when
    // the caller named no encoding_format, and a gateway must pass on exactly what the caller asked for.
    embeddings: (body, abort, headers) =>
      c.post('/embeddings', { body, ...options(abort, headers) }).withResponse().then(({ data, response }) => tagHeaders(data, response.headers)),
    responses: (body, abort, headers) =>
      c
        .post('/responses', { body: { ...body, stream: false }, ...options(abort, headers) })
        .withResponse()
        .then(({ data, response }) => tagHeaders(data, response.headers)),
    responsesStream: (body, abort, headers) =>
      c.post('/responses', { body: { ...body, stream: true }, stream: true, ...options(abort, headers), ...streamed }) as unknown as Promise<Stream<ResponseStreamEvent>>,
  };
}

/** One client per provider, made on first use: a config that routes only chat builds none. */
export function operationClients(config: SwitchyardConfig, fetchImpl: typeof fetch | undefined): (provider: string) => OperationClient {
  const made = new Map<string, OperationClient>();
  return (provider) => {
    let c = made.get(provider);
    if (!c) made.set(provider, (c = operationClient(client(config.providers[provider]!, fetchImpl))));
    return c;
  };
}

/** What each endpoint serves: its `operations`, else its provider type's default. */
export function endpointOperations(config: SwitchyardConfig): Map<string, ReadonlySet<Operation>> {
  const out = new Map<string, ReadonlySet<Operation>>();
  for (const [id, e] of Object.entries(config.endpoints)) {
    const p = config.providers[e.provider];
    // Azure classic deployments (apiVersion set) are called for chat only: their other operations live at
    // other paths, which Switchyard does not build; the v1 API serves all three.
    const type = p?.type === 'azure' && p.apiVersion !== undefined ? 'azure-classic' : p?.type;
    out.set(id, new Set(e.operations ?? defaultOperations(type)));
  }
  return out;
}
