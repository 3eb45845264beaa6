import type { EventEmitter } from 'node:events';
import type { Admission, EndpointBreaker } from '../breaker/breaker.js';
import type { Bulkhead } from '../breaker/bulkhead.js';
import { fullJitterDelay } from '../breaker/backoff.js';
import type { Classified } from '../endpoint/classify.js';
import type { Endpoint } from '../endpoint/endpoint.js';
import type { Operation } from '../endpoint/operation.js';
import type { RequestOutcome } from '../endpoint/outcome.js';
import {
  DeadlineExceededError,
  LocalAttemptError,
  RequestCancelledError,
  RouterClosedError,
  UpstreamClientError,
  type AttemptRecord,
} from '../errors/router-errors.js';
import { Ledger, type CallerWindow, type ChargeReason } from './attribution.js';
import { Attempt, failureResult, WATCHED, type AttemptFinisher, type AttemptHooks, type AttemptRun } from './attempt.js';
import { chainVerdict, type ChainWalked } from './chain-verdict.js';
import type { AttemptInfo, RequestInfo, RouterEvents, SkipReason } from './events.js';
import type { LiveList } from './live-list.js';
import type { Liveness } from './liveness.js';
import type { AttemptScope, RequestScope } from './scope.js';

export type { AttemptFinisher, AttemptRun } from './attempt.js';

export type AttemptRunner<T> = (endpoint: Endpoint, attempt: AttemptInfo, scope: AttemptScope, finish: AttemptFinisher) => Promise<AttemptRun<T>>;

export interface RunDeps {
  readonly endpoints: ReadonlyMap<string, Endpoint>;
  readonly breakers: ReadonlyMap<string, EndpointBreaker>;
  readonly bulkheads: ReadonlyMap<string, Bulkhead>;
  readonly liveness: ReadonlyMap<string, Liveness>;
  readonly callers: ReadonlyMap<string, CallerWindow>;
  readonly events: EventEmitter<RouterEvents>;
  readonly now: () => number;
  readonly random: () => number;
  /** Requests not yet ended, so `router.close()` can abort them. */
  readonly active: LiveList<RequestRun>;
  /** Attempts whose caller is gone, watched for the provider's health (see Liveness), for `close()`. */
  readonly watched: Set<AttemptScope>;
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
  /** Takes this request out of the router's active ones. */
  private readonly leave: () => void;
  /** Unclear failures waiting for evidence (router/attribution.ts). */
  private readonly ledger = new Ledger();
  private unclear: ChainWalked['unclear'];
  private refusal: ChainWalked['refusal'];
  private endpointFault = false;
  /** Who answered, once someone did. */
  endpoint: string | undefined;
  /** The answer's bytes as the provider sent them, when its transport kept them (see JsonAnswer). */
  bytes: Buffer | undefined;
  /** The caller's cap on retries on one endpoint (RequestOptions.maxRetries). */
  maxRetries: number | undefined;

  constructor(
    private readonly deps: RunDeps,
    readonly route: string,
    private readonly chain: readonly string[],
    readonly scope: RequestScope,
    stream: boolean,
    /** Who sent the request, for "one caller weighs once per window"; each request alone when unknown. */
    private readonly caller?: string,
    operation?: Operation,
  ) {
    this.info = { id: `${process.pid}-${++nextId}`, route, stream, startedAt: deps.now(), ...(operation ? { operation } : {}) };
    this.leave = deps.active.add(this);
    // Synchronous, in the caller's context: a tracer subscribed here parents the request span correctly.
    deps.events.emit('request:start', this.info);
  }

  /**
   * `eligible`, when given, says why an endpoint cannot take this request at all (it does not serve the
   * operation, or another provider holds the conversation): it is skipped without touching its circuit.
   */
  async walk<T>(runner: AttemptRunner<T>, eligible?: (endpoint: string) => SkipReason | undefined): Promise<T> {
    const { endpoints, breakers, bulkheads, liveness, events, now } = this.deps;
    // The request's own state across attempts: the last endpoint that failed, for the `fallback` event.
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
      const live = liveness.get(id)!;
      for (let retry = 0; ; retry++) {
        if (this.scope.aborted) throw this.failAborted();
        const admission = this.admit(endpoint, breaker, bulkhead, live);
        if (!admission) break;
        if (lastFailed !== undefined && lastFailed !== id) events.emit('fallback', this.info, lastFailed, id);
        lastFailed = undefined;
        const info = this.attemptInfo(endpoint);
        const attempt = new Attempt(info, this.scope.attempt(live, info.startedAt), admission, breaker, bulkhead, this.hooks(id, info));
        events.emit('attempt:start', info);
        const run = await attempt.await(runner(endpoint, info, attempt.scope, attempt.finish));
        if (run === WATCHED) {
          // The caller is gone; the attempt goes on unseen (see Liveness). It ends here for the caller.
          attempt.report({ outcome: 'cancelled', durationMs: now() - info.startedAt, errorType: 'cancelled', message: "the caller gave up; the attempt is watched for the provider's health" });
          throw this.failAborted();
        }
        if (run.kind === 'handoff') {
          attempt.commit();
          this.endpoint = id;
          this.answered();
          return run.value;
        }
        if (run.kind === 'done') {
          attempt.finish(run.result);
          this.endpoint = id;
          this.bytes = run.bytes;
          this.answered();
          this.end('success');
          return run.value;
        }
        const c = run.classified;
        attempt.finish(failureResult(c, run.durationMs), c);
        if (c.blame === 'request') {
          this.end('client_error');
          if (c.outcome === 'local_error') throw new LocalAttemptError(this.route, id, c.message, { cause: run.cause });
          throw new UpstreamClientError(this.route, id, c.status ?? 400, c.message, run.body, run.headers);
        }
        if (c.blame === 'caller' || this.scope.aborted) throw this.failAborted();
        if (c.blame === 'unclear' || c.blame === 'elsewhere') {
          // Only an unclear failure waits for evidence; one about state held elsewhere never counts.
          if (c.blame === 'unclear') this.ledger.hold(id, attempt.generation);
          if (!this.unclear && run.body !== undefined) this.unclear = { endpoint: id, classified: c, body: run.body, headers: run.headers };
        } else this.endpointFault = true;
        lastFailed = id;
        const policy = endpoint.spec.retry;
        if (retry >= Math.min(policy.retries, this.maxRetries ?? policy.retries) || !policy.on.includes(c.outcome)) break;
        const delay = fullJitterDelay(retry, policy.baseDelayMs, policy.maxDelayMs, this.deps.random);
        if (!(await this.scope.sleep(delay))) throw this.failAborted();
      }
    }
    const verdict = chainVerdict({
      route: this.route,
      attempts: this.attempts,
      skipped: this.skipped ?? [],
      refusal: this.refusal,
      unclear: this.unclear,
      endpointFault: this.endpointFault,
      now: now(),
    });
    this.end(verdict.outcome);
    throw verdict.error;
  }

  /**
   * May this request try `endpoint` now? If not, the skip is reported and undefined returned. The bulkhead
   * and liveness come before the breaker: admitting would take a half-open circuit's one probe.
   */
  private admit(endpoint: Endpoint, breaker: EndpointBreaker, bulkhead: Bulkhead, live: Liveness): (Admission & { admitted: true }) | undefined {
    const id = endpoint.spec.id;
    if (bulkhead.full) return void this.skip(id, 'saturated', this.deps.now() + SATURATED_RETRY_HINT_MS);
    const unresponsiveUntil = live.unresponsiveUntil();
    // Callers who could not wait out the timeout anyway do not join the ones who gave up on it.
    if (unresponsiveUntil !== undefined && this.scope.remainingMs() < attemptLimit(endpoint, this.info.stream)) {
      return void this.skip(id, 'unresponsive', unresponsiveUntil);
    }
    const admission = breaker.admit();
    if (!admission.admitted) return void this.skip(id, admission.reason, admission.retryAt);
    return admission;
  }

  /** What an attempt of this request reports to it. */
  private hooks(endpoint: string, info: AttemptInfo): AttemptHooks {
    return {
      report: (result) => {
        this.attempts.push({
          endpoint,
          outcome: result.outcome,
          durationMs: result.durationMs,
          ...(result.status !== undefined ? { status: result.status } : {}),
          ...(result.message !== undefined ? { message: result.message } : {}),
        });
        this.deps.events.emit('attempt:end', info, result);
      },
      judged: (classified, watched) => {
        if (!classified) return;
        if (classified.blame !== 'unclear') this.charge(endpoint, chargeReason(classified, watched));
        // An unclear failure after the stream reached its caller, or of a watched attempt whose request has
        // ended: no other attempt can show whose it was.
        else if (this.endpoint === endpoint || watched) this.charge(endpoint, 'no_evidence');
      },
      watchedSet: this.deps.watched,
    };
  }

  /** Another attempt of this request was answered: the unclear failures before it were the endpoints'. */
  private answered(): void {
    const now = this.deps.now();
    for (const p of this.ledger.drain()) {
      if (!this.deps.callers.get(p.endpoint)!.admit(this.caller ?? this.info.id, now)) {
        this.charge(p.endpoint, 'caller_limit');
        continue;
      }
      this.deps.breakers.get(p.endpoint)!.chargeLate(p.generation);
      this.charge(p.endpoint, 'evidence');
    }
  }

  private charge(endpoint: string, reason: ChargeReason): void {
    this.deps.events.emit('charge', endpoint, reason === 'provider_fault' || reason === 'evidence' || reason === 'hang' ? 'charged' : 'spared', reason);
  }

  /**
   * `endpoint` can never take this request as asked (a parameter its provider lacks): skipped as
   * `unsupported`, no attempt and no charge, since the request decided it, not the endpoint's health.
   */
  refuse(endpoint: string, error: Error): SkipReason {
    this.refusal ??= { endpoint, error };
    return 'unsupported';
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

  /** Ends a request that was aborted (its deadline passed, or the caller went away) and returns its error. */
  failAborted(): Error {
    this.endAborted();
    const cause = this.scope.abortCause;
    if (cause === 'deadline') return new DeadlineExceededError(this.route, this.scope.deadlineMs, this.attempts);
    return cause === 'closed' ? new RouterClosedError(this.route) : new RequestCancelledError(this.route);
  }

  /** Ends an aborted request: `timeout` when its deadline passed, else `cancelled` (the caller went away). */
  endAborted(): void {
    this.end(this.scope.abortCause === 'deadline' ? 'timeout' : 'cancelled');
  }

  /** Emits `request:end` once and releases the request's timers. Unclear failures still held are spared. */
  end(outcome: RequestOutcome): void {
    if (this.ended) return;
    this.ended = true;
    this.scope.dispose();
    this.leave();
    for (const p of this.ledger.drain()) this.charge(p.endpoint, 'no_evidence');
    this.deps.events.emit('request:end', this.info, {
      outcome,
      durationMs: this.deps.now() - this.info.startedAt,
      attempts: this.attempts.length,
      ...(this.endpoint !== undefined ? { endpoint: this.endpoint } : {}),
    });
  }
}

/** How long an attempt on `endpoint` may take before its own timeout calls it. */
function attemptLimit(endpoint: Endpoint, stream: boolean): number {
  return stream ? endpoint.spec.firstTokenTimeoutMs : endpoint.spec.timeoutMs;
}

function chargeReason(c: Classified, watched: boolean): ChargeReason {
  if (c.blame === 'endpoint') return watched ? 'hang' : 'provider_fault';
  return c.blame === 'request' || c.blame === 'elsewhere' ? 'request_fault' : 'caller_gone';
}

export { failureResult } from './attempt.js';
