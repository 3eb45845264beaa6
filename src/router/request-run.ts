import type { EventEmitter } from 'node:events';
import type { EndpointBreaker } from '../breaker/breaker.js';
import type { Bulkhead } from '../breaker/bulkhead.js';
import { fullJitterDelay } from '../breaker/backoff.js';
import type { Classified } from '../endpoint/classify.js';
import type { Endpoint } from '../endpoint/endpoint.js';
import type { Operation } from '../endpoint/operation.js';
import type { RequestOutcome } from '../endpoint/outcome.js';
import {
  AllAttemptsFailedError,
  DeadlineExceededError,
  RequestCancelledError,
  RouterClosedError,
  RouteUnavailableError,
  UpstreamClientError,
  type AttemptRecord,
} from '../errors/router-errors.js';
import type { AttemptInfo, AttemptResult, RequestInfo, RouterEvents, SkipReason } from './events.js';
import type { AttemptScope, RequestScope } from './scope.js';

/** Records how an attempt ended: breaker, `attempt:end`, the request's attempt list. Call once. */
export type AttemptFinisher = (result: AttemptResult, classified?: Classified) => void;

/** How one attempt went, as the runner reports it to the walk. */
export type AttemptRun<T> =
  | { readonly kind: 'done'; readonly value: T; readonly result: AttemptResult; readonly bytes?: Buffer | undefined }
  | {
      readonly kind: 'failed';
      readonly classified: Classified;
      readonly durationMs: number;
      readonly body?: unknown;
      /** The provider's response headers, for a client_error handed back to the caller. */
      readonly headers?: Headers | undefined;
    }
  /** A stream whose first content chunk arrived: the stream now owns the attempt and calls the finisher. */
  | { readonly kind: 'handoff'; readonly value: T };

export type AttemptRunner<T> = (endpoint: Endpoint, attempt: AttemptInfo, scope: AttemptScope, finish: AttemptFinisher) => Promise<AttemptRun<T>>;

export interface RunDeps {
  readonly endpoints: ReadonlyMap<string, Endpoint>;
  readonly breakers: ReadonlyMap<string, EndpointBreaker>;
  readonly bulkheads: ReadonlyMap<string, Bulkhead>;
  readonly events: EventEmitter<RouterEvents>;
  readonly now: () => number;
  readonly random: () => number;
  /** Requests not yet ended, so `router.close()` can abort them. */
  readonly active: Set<RequestRun>;
}

let nextId = 0;

/** When a request that found an endpoint saturated is told to come back: a slot frees as any attempt ends. */
const SATURATED_RETRY_HINT_MS = 1_000;

/** One request walking its route's chain: skips open circuits, retries, falls back, and reports it all. */
export class RequestRun {
  readonly info: RequestInfo;
  readonly attempts: AttemptRecord[] = [];
  /** Endpoints skipped so far, only once one is. */
  private skipped: { endpoint: string; reason: SkipReason; retryAt: number }[] | undefined;
  private ended = false;
  /** Who answered, once someone did. */
  endpoint: string | undefined;
  /** The answer's bytes as the provider sent them, when its transport kept them (see JsonAnswer). */
  bytes: Buffer | undefined;

  constructor(
    private readonly deps: RunDeps,
    readonly route: string,
    private readonly chain: readonly string[],
    readonly scope: RequestScope,
    stream: boolean,
    operation?: Operation,
  ) {
    this.info = { id: `${process.pid}-${++nextId}`, route, stream, startedAt: deps.now(), ...(operation ? { operation } : {}) };
    deps.active.add(this);
    // Synchronous, in the caller's context: a tracer subscribed here parents the request span correctly.
    deps.events.emit('request:start', this.info);
  }

  /**
   * `eligible`, when given, says why an endpoint cannot take this request at all (it does not serve the
   * operation, or another provider holds the conversation): it is skipped without touching its circuit.
   */
  async walk<T>(runner: AttemptRunner<T>, eligible?: (endpoint: string) => SkipReason | undefined): Promise<T> {
    const { endpoints, breakers, bulkheads, events, now } = this.deps;
    let lastFailed: string | undefined;
    for (const id of this.chain) {
      const ineligible = eligible?.(id);
      if (ineligible) {
        this.skip(id, ineligible, Number.POSITIVE_INFINITY);
        continue;
      }
      const endpoint = endpoints.get(id)!;
      const breaker = breakers.get(id)!;
      const bulkhead = bulkheads.get(id)!;
      for (let retry = 0; ; retry++) {
        if (this.scope.aborted) throw this.aborted();
        // Before the breaker: admitting would take a half-open circuit's one probe.
        if (bulkhead.full) {
          this.skip(id, 'saturated', now() + SATURATED_RETRY_HINT_MS);
          break;
        }
        const admission = breaker.admit();
        if (!admission.admitted) {
          this.skip(id, admission.reason, admission.retryAt);
          break;
        }
        if (lastFailed !== undefined && lastFailed !== id) events.emit('fallback', this.info, lastFailed, id);
        lastFailed = undefined;
        const attempt = this.attemptInfo(endpoint);
        bulkhead.enter();
        events.emit('attempt:start', attempt);
        const scope = this.scope.attempt();
        let finished = false;
        const finish: AttemptFinisher = (result, classified) => {
          if (finished) return;
          finished = true;
          bulkhead.leave();
          scope.dispose();
          breaker.record(admission, result.outcome, classified?.retryAfterMs);
          this.attempts.push({
            endpoint: id,
            outcome: result.outcome,
            durationMs: result.durationMs,
            ...(result.status !== undefined ? { status: result.status } : {}),
            ...(result.message !== undefined ? { message: result.message } : {}),
          });
          events.emit('attempt:end', attempt, result);
        };
        const run = await runner(endpoint, attempt, scope, finish);
        if (run.kind === 'handoff') {
          this.endpoint = id;
          return run.value;
        }
        if (run.kind === 'done') {
          finish(run.result);
          this.endpoint = id;
          this.bytes = run.bytes;
          this.end('success');
          return run.value;
        }
        const c = run.classified;
        finish(failureResult(c, run.durationMs), c);
        if (c.outcome === 'client_error') {
          this.end('client_error');
          throw new UpstreamClientError(this.route, id, c.status ?? 400, c.message, run.body, run.headers);
        }
        if (c.outcome === 'cancelled' || this.scope.aborted) throw this.aborted();
        lastFailed = id;
        const policy = endpoint.spec.retry;
        if (retry >= policy.retries || !policy.on.includes(c.outcome)) break;
        const delay = fullJitterDelay(retry, policy.baseDelayMs, policy.maxDelayMs, this.deps.random);
        if (!(await this.scope.sleep(delay))) throw this.aborted();
      }
    }
    if (this.attempts.length === 0) {
      this.end('unavailable');
      const skipped = this.skipped ?? [];
      const earliestRetry = skipped.length ? Math.min(...skipped.map((s) => s.retryAt)) : now();
      throw new RouteUnavailableError(this.route, earliestRetry, [], skipped);
    }
    this.end('failed');
    throw new AllAttemptsFailedError(this.route, this.attempts);
  }

  /** An endpoint passed over without an attempt: kept for RouteUnavailableError, and reported. */
  private skip(endpoint: string, reason: SkipReason, retryAt: number): void {
    (this.skipped ??= []).push({ endpoint, reason, retryAt });
    this.deps.events.emit('skip', this.info, endpoint, reason, retryAt);
  }

  private attemptInfo(endpoint: Endpoint): AttemptInfo {
    const s = endpoint.spec;
    return {
      request: this.info,
      endpoint: s.id,
      provider: s.provider,
      providerName: s.providerName,
      model: s.model,
      serverAddress: s.serverAddress,
      ...(s.serverPort !== undefined ? { serverPort: s.serverPort } : {}),
      number: this.attempts.length + 1,
      startedAt: this.deps.now(),
      headers: {},
    };
  }

  /** The error for a request that was aborted: its deadline passed, or the caller went away. Ends the request. */
  aborted(): Error {
    this.endAborted();
    const cause = this.scope.abortCause;
    if (cause === 'deadline') return new DeadlineExceededError(this.route, this.scope.deadlineMs, this.attempts);
    return cause === 'closed' ? new RouterClosedError(this.route) : new RequestCancelledError(this.route);
  }

  /** Ends an aborted request: `timeout` when its deadline passed, else `cancelled` (the caller went away). */
  endAborted(): void {
    this.end(this.scope.abortCause === 'deadline' ? 'timeout' : 'cancelled');
  }

  /** Emits `request:end` once and releases the request's timers. */
  end(outcome: RequestOutcome): void {
    if (this.ended) return;
    this.ended = true;
    this.scope.dispose();
    this.deps.active.delete(this);
    this.deps.events.emit('request:end', this.info, {
      outcome,
      durationMs: this.deps.now() - this.info.startedAt,
      attempts: this.attempts.length,
      ...(this.endpoint !== undefined ? { endpoint: this.endpoint } : {}),
    });
  }
}

export function failureResult(c: Classified, durationMs: number): AttemptResult {
  return {
    outcome: c.outcome,
    durationMs,
    errorType: c.errorType,
    message: c.message,
    ...(c.status !== undefined ? { status: c.status } : {}),
  };
}

