import type { Operation } from '../endpoint/operation.js';
import type { AttemptOutcome, RequestOutcome } from '../endpoint/outcome.js';
import type { ChargeReason, ChargeVerdict } from './attribution.js';

/*
 * What the router tells the world. Emitted synchronously, in the caller's async context, so a subscriber
 * can read the active OpenTelemetry context. Each request's events share one `RequestInfo` object and each
 * attempt's one `AttemptInfo` object: subscribers key per-request state on them (WeakMap), so the engine
 * needs to know nothing of Prometheus or tracing.
 */

export type CircuitStateName = 'closed' | 'open' | 'half_open';
export const CIRCUIT_STATES: readonly CircuitStateName[] = ['closed', 'open', 'half_open'];

/**
 * Why an endpoint was skipped without an attempt: its circuit is open, or half-open with its probe in flight,
 * a Retry-After holds traffic away, it has `maxConcurrent` attempts in flight already (`saturated`), or it
 * has sent nothing to the callers who gave up on it and this request cannot wait out its timeout
 * (`unresponsive`, see router/liveness.ts). Two say nothing of its health: it does not serve the request's
 * operation (`unsupported`, see `endpoints.<id>.operations`), or a Responses request continues a
 * conversation another provider holds (`other_provider`, by its `previous_response_id`).
 */
export type SkipReason = 'open' | 'half_open_busy' | 'retry_after' | 'saturated' | 'unresponsive' | 'unsupported' | 'other_provider';
export const SKIP_REASONS: readonly SkipReason[] = ['open', 'half_open_busy', 'retry_after', 'saturated', 'unresponsive', 'unsupported', 'other_provider'];

/** Skip reasons that are no circuit's doing: not short-circuits. */
export const INELIGIBLE_SKIPS: readonly SkipReason[] = ['unsupported', 'other_provider'];

export interface RequestInfo {
  /** Unique per request, for correlating events; not a label. */
  readonly id: string;
  /** The route id (or the endpoint id, when the caller named one directly). */
  readonly route: string;
  readonly stream: boolean;
  /** Epoch ms. */
  readonly startedAt: number;
  /** The OpenAI API operation, when it is not `chat`. */
  readonly operation?: Operation;
}

export interface AttemptInfo {
  readonly request: RequestInfo;
  readonly endpoint: string;
  /** The provider id from the config. */
  readonly provider: string;
  /** `gen_ai.provider.name`. */
  readonly providerName: string;
  /** Model name sent upstream. */
  readonly model: string;
  /** Host (and port) of the provider's baseURL: `server.address`. */
  readonly serverAddress: string;
  readonly serverPort?: number;
  /** 1-based across the whole request (retries and fallbacks included). */
  readonly number: number;
  readonly startedAt: number;
  /**
   * Headers sent upstream with this attempt, on top of the caller's: an `attempt:start` subscriber may add
   * to it (the tracer puts `traceparent` here). Never holds a key.
   */
  readonly headers: Record<string, string>;
}

export interface AttemptResult {
  readonly outcome: AttemptOutcome;
  readonly durationMs: number;
  readonly status?: number;
  /** `error.type`: the outcome, or a more precise class name. Absent on success. */
  readonly errorType?: string;
  /** Key-free description of the failure. */
  readonly message?: string;
  readonly responseModel?: string;
  readonly inputTokens?: number;
  readonly outputTokens?: number;
  /** Streams: time from attempt start to the first content chunk. */
  readonly timeToFirstTokenMs?: number;
}

export interface RequestResult {
  readonly outcome: RequestOutcome;
  readonly durationMs: number;
  readonly attempts: number;
  /** The endpoint that answered, on success. */
  readonly endpoint?: string;
}

export interface RouterEvents {
  'request:start': [request: RequestInfo];
  'attempt:start': [attempt: AttemptInfo];
  /** For streams, emitted when the stream ends (or breaks), not when its first chunk arrives. */
  'attempt:end': [attempt: AttemptInfo, result: AttemptResult];
  /** An endpoint of the chain was passed over without an attempt. `retryAt` is epoch ms. */
  skip: [request: RequestInfo, endpoint: string, reason: SkipReason, retryAt: number];
  /** The router moves on from one endpoint to the next after a failure. */
  fallback: [request: RequestInfo, from: string, to: string];
  'request:end': [request: RequestInfo, result: RequestResult];
  /**
   * A failed attempt was charged to the endpoint's circuit, or spared, and why (router/attribution.ts). A
   * charge may come after its request ended: on evidence from a later attempt, or a watched attempt's verdict.
   */
  charge: [endpoint: string, verdict: ChargeVerdict, reason: ChargeReason];
  /** A circuit changed state (also on operator overrides). */
  circuit: [endpoint: string, from: CircuitStateName, to: CircuitStateName];
  /**
   * The shared state store (`state.store: redis`) became reachable or stopped answering; emitted once per
   * change. `reason` is an error code or class (never the URL, which may hold a password).
   */
  'state:store': [up: boolean, reason: string | undefined];
}
