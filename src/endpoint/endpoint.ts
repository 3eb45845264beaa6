import OpenAI from 'openai';
import type { ChatCompletionCreateParams } from 'openai/resources/chat/completions';
import type { BreakerConfig, ProviderConfig, RetryConfig, SwitchyardConfig } from '../config/schema.js';
import { limitsSchema, PROVIDER_NAMES, providerType } from '../config/schema.js';
import { boundedFetch } from './bounded-fetch.js';
import { MemoryBudget } from './memory-budget.js';
import { fetchSkippingContinue } from './skip-continue.js';
import { configuredSecrets } from '../config/secrets.js';
import { createAnswerScrubber } from './answer-scrub.js';
import { nativeTransport } from './native-transport.js';
import { azureTarget, azureTransportKey } from '../providers/azure.js';
import { codecFor } from '../providers/index.js';
import { codecTransport } from '../providers/codec-transport.js';
import type { SerializedBody } from './serialized-body.js';
import { sdkTransport, type Cancellation, type ChunkStream, type Transport, type TransportKind } from './transport.js';

/** Everything the router needs to know about one endpoint, resolved from the config once. */
export interface EndpointSpec {
  readonly id: string;
  readonly provider: string;
  /** `gen_ai.provider.name`. */
  readonly providerName: string;
  readonly model: string;
  readonly timeoutMs: number;
  readonly firstTokenTimeoutMs: number;
  readonly streamIdleTimeoutMs: number;
  /** Attempts allowed in flight at once; undefined: no cap. */
  readonly maxConcurrent?: number;
  readonly serverAddress: string;
  readonly serverPort?: number;
  readonly breaker: BreakerConfig;
  readonly retry: RetryConfig;
}

/** One provider + one model, called through the provider's shared transport. */
export class Endpoint {
  constructor(
    readonly spec: EndpointSpec,
    private readonly transport: Transport,
  ) {}

  /** A plain completion. Resolves to whatever the body parsed to: validate before trusting it. */
  complete(params: ChatCompletionCreateParams, abort: Cancellation, headers?: Record<string, string>, serialized?: SerializedBody): Promise<unknown> {
    return this.transport.complete({ ...params, model: this.spec.model, stream: false }, abort, headers, serialized?.text(this.spec.model, false));
  }

  stream(params: ChatCompletionCreateParams, abort: Cancellation, headers?: Record<string, string>, serialized?: SerializedBody): Promise<ChunkStream> {
    return this.transport.stream({ ...params, model: this.spec.model, stream: true }, abort, headers, serialized?.text(this.spec.model, true));
  }

  /** Whether `refusal` can ever say no (a codec's endpoint). */
  get mayRefuse(): boolean {
    return this.transport.refusal !== undefined;
  }

  /** Why this endpoint can never take the request, before any connection (see Transport.refusal). */
  refusal(params: ChatCompletionCreateParams, stream: boolean): Error | undefined {
    return this.transport.refusal?.({ ...params, model: this.spec.model, stream }, stream);
  }

  /** Releases pooled connections (shared by the provider's endpoints; closing twice is harmless). */
  close(): void {
    this.transport.close();
  }
}

/** Top-level defaults with an endpoint's overrides on top; a field left undefined inherits. */
function merge<T extends object>(base: T, over: Partial<T> | undefined): T {
  const out = { ...base };
  for (const [k, v] of Object.entries(over ?? {})) if (v !== undefined) (out as Record<string, unknown>)[k] = v;
  return out;
}

function address(baseURL: string): { host: string; port?: number } {
  const u = new URL(baseURL);
  return { host: u.hostname, ...(u.port ? { port: Number(u.port) } : {}) };
}

/**
 * One openai client per provider, with the retries left to the router (maxRetries 0) and every credential
 * passed explicitly, so the SDK never picks up OPENAI_API_KEY / OPENAI_ORG_ID from the environment for a
 * provider that was configured without one.
 */
function sdkClient(p: ProviderConfig & { query?: string }, fetchImpl: typeof fetch): OpenAI {
  // No key: no Authorization header at all (the SDK would send `Bearer no-key`); null removes a default one.
  const headers = { ...(p.apiKey ? {} : { authorization: null }), ...p.headers };
  return new OpenAI({
    baseURL: p.baseURL,
    apiKey: p.apiKey ?? 'no-key',
    organization: null,
    project: null,
    maxRetries: 0,
    // The SDK logs raw upstream data on parse errors: answers (and so prompts) must not reach logs.
    logLevel: 'off',
    // A backstop only: the router aborts each attempt at its own timeout.
    timeout: 10 * 60_000,
    defaultHeaders: headers,
    // Azure classic's api-version: the SDK's own query option, not glued into the baseURL's path.
    ...(p.query ? { defaultQuery: Object.fromEntries(new URLSearchParams(p.query)) } : {}),
    // The SDK would read whatever it is sent: each answer is held to the native transport's limit.
    fetch: boundedFetch(fetchImpl),
  });
}

/**
 * One transport per provider, one Endpoint per endpoint. A provider's transport is its config's, else
 * `opts.transport`, else `native`, unless a `fetch` was given: only the SDK client calls through it.
 */
export function buildEndpoints(
  config: SwitchyardConfig,
  opts: { fetch?: typeof fetch | undefined; transport?: TransportKind | undefined } = {},
): Map<string, Endpoint> {
  const transports = new Map<string, Transport>();
  // One budget for every stream of the router, whichever provider and transport (memory-budget.ts).
  const limits = config.limits ?? limitsSchema.parse({});
  // Every configured key, out of every successful answer (answer-scrub.ts); undefined, and free, when none.
  const scrubber = createAnswerScrubber(configuredSecrets(config));
  const stream = { maxEventBytes: limits.maxEventBytes, budget: new MemoryBudget(limits.maxStreamBytes), ...(scrubber ? { scrubber } : {}) };
  // One transport per provider (per deployment for Azure classic, whose path names it), made on first use.
  const transportOf = (providerId: string, model: string): Transport => {
    const p = config.providers[providerId]!;
    const type = providerType(p);
    const key = type === 'azure' ? azureTransportKey(providerId, p, model) : providerId;
    let t = transports.get(key);
    if (t) return t;
    const connections = p.maxConnections ? { connections: p.maxConnections } : {};
    if (type === 'anthropic' || type === 'gemini') {
      t = codecTransport({ baseURL: p.baseURL, codec: codecFor(p), ...stream, ...connections });
    } else {
      // Azure is the OpenAI wire format at its own path, with its key in `api-key`.
      const target: ProviderConfig & { query?: string } = type === 'azure' ? { ...p, apiKey: undefined, ...azureTarget(p, model) } : p;
      const kind = p.transport ?? opts.transport ?? (opts.fetch ? 'sdk' : 'native');
      if (kind === 'native') t = nativeTransport({ ...target, ...stream, ...connections });
      else {
        // Yours, or the global fetch over connections that skip an unasked `100 Continue` (skip-continue.ts).
        const own = opts.fetch ? undefined : fetchSkippingContinue();
        t = sdkTransport(sdkClient(target, opts.fetch ?? own!.fetch), stream, own?.close);
      }
    }
    transports.set(key, t);
    return t;
  };
  const endpoints = new Map<string, Endpoint>();
  for (const [id, e] of Object.entries(config.endpoints)) {
    const provider = config.providers[e.provider]!;
    const { host, port } = address(provider.baseURL);
    const spec: EndpointSpec = {
      id,
      provider: e.provider,
      providerName: provider.name ?? PROVIDER_NAMES[providerType(provider)],
      model: e.model,
      timeoutMs: e.timeoutMs,
      firstTokenTimeoutMs: e.firstTokenTimeoutMs ?? e.timeoutMs,
      streamIdleTimeoutMs: e.streamIdleTimeoutMs,
      ...(e.maxConcurrent !== undefined ? { maxConcurrent: e.maxConcurrent } : {}),
      serverAddress: host,
      ...(port !== undefined ? { serverPort: port } : {}),
      breaker: merge(config.breaker, e.breaker),
      retry: merge(config.retry, e.retry),
    };
    endpoints.set(id, new Endpoint(spec, transportOf(e.provider, e.model)));
  }
  return endpoints;
}
