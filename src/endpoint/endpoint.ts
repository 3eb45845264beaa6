import OpenAI from 'openai';
import type { Stream } from 'openai/streaming';
import type { ChatCompletionChunk, ChatCompletionCreateParams } from 'openai/resources/chat/completions';
import type { BreakerConfig, RetryConfig, SwitchyardConfig } from '../config/schema.js';

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
  readonly serverAddress: string;
  readonly serverPort?: number;
  readonly breaker: BreakerConfig;
  readonly retry: RetryConfig;
}

/** One provider + one model, called through the provider's shared openai client. */
export class Endpoint {
  constructor(
    readonly spec: EndpointSpec,
    private readonly client: OpenAI,
  ) {}

  /** A plain completion. Resolves to whatever the body parsed to: validate before trusting it. */
  complete(params: ChatCompletionCreateParams, signal: AbortSignal, headers?: Record<string, string>): Promise<unknown> {
    const body = { ...params, model: this.spec.model, stream: false } as const;
    return this.client.chat.completions.create(body, { signal, headers, maxRetries: 0 });
  }

  stream(params: ChatCompletionCreateParams, signal: AbortSignal, headers?: Record<string, string>): Promise<Stream<ChatCompletionChunk>> {
    const body = { ...params, model: this.spec.model, stream: true } as const;
    return this.client.chat.completions.create(body, { signal, headers, maxRetries: 0 });
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
 * One openai client per provider. Retries are the router's (maxRetries 0), and every credential is passed
 * explicitly so the SDK never picks up OPENAI_API_KEY / OPENAI_ORG_ID from the environment for a provider
 * that was configured without one.
 */
export function buildEndpoints(config: SwitchyardConfig, fetchImpl?: typeof fetch): Map<string, Endpoint> {
  const clients = new Map<string, OpenAI>();
  for (const [id, p] of Object.entries(config.providers)) {
    clients.set(
      id,
      new OpenAI({
        baseURL: p.baseURL,
        apiKey: p.apiKey ?? 'no-key',
        organization: null,
        project: null,
        maxRetries: 0,
        // The SDK logs raw upstream data on parse errors: answers (and so prompts) must not reach logs.
        logLevel: 'off',
        // A backstop only: the router aborts each attempt at its own timeout.
        timeout: 10 * 60_000,
        ...(p.headers ? { defaultHeaders: p.headers } : {}),
        ...(fetchImpl ? { fetch: fetchImpl } : {}),
      }),
    );
  }
  const endpoints = new Map<string, Endpoint>();
  for (const [id, e] of Object.entries(config.endpoints)) {
    const provider = config.providers[e.provider]!;
    const { host, port } = address(provider.baseURL);
    const spec: EndpointSpec = {
      id,
      provider: e.provider,
      providerName: provider.name ?? e.provider,
      model: e.model,
      timeoutMs: e.timeoutMs,
      firstTokenTimeoutMs: e.firstTokenTimeoutMs ?? e.timeoutMs,
      streamIdleTimeoutMs: e.streamIdleTimeoutMs,
      serverAddress: host,
      ...(port !== undefined ? { serverPort: port } : {}),
      breaker: merge(config.breaker, e.breaker),
      retry: merge(config.retry, e.retry),
    };
    endpoints.set(id, new Endpoint(spec, clients.get(e.provider)!));
  }
  return endpoints;
}

/** Every configured secret, so text that might echo one can be scrubbed before it leaves. */
export function configuredSecrets(config: SwitchyardConfig): string[] {
  const out: string[] = [];
  for (const p of Object.values(config.providers)) {
    if (p.apiKey) out.push(p.apiKey);
    for (const v of Object.values(p.headers ?? {})) if (v.length >= 8) out.push(v);
  }
  return out;
}

export function redact(text: string, secrets: readonly string[]): string {
  let out = text;
  for (const s of secrets) if (s && out.includes(s)) out = out.split(s).join('[redacted]');
  return out;
}
