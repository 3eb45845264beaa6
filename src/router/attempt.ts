import type { Admission, EndpointBreaker, Verdict } from '../breaker/breaker.js';
import type { Bulkhead } from '../breaker/bulkhead.js';
import type { Classified } from '../endpoint/classify.js';
import type { AttemptInfo, AttemptResult } from './events.js';
import type { AttemptScope } from './scope.js';

/*
 * One attempt's bookkeeping, apart from the walk that decides what to do next: its slot, its scope, what
 * its circuit is told, and its report. A report (the `attempt:end` event, the request's list) and a release
 * (slot, timers, the circuit's verdict) usually happen together; a watched attempt (see Liveness) is
 * reported when its caller leaves and released when the provider answers or its own timeout passes.
 */

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
      readonly cause?: unknown;
      /** The provider's response headers, for an error the caller gets back (the library's SDK error carries them). */
      readonly headers?: Headers | undefined;
    }
  /** A stream whose first content chunk arrived: the stream now owns the attempt and calls the finisher. */
  | { readonly kind: 'handoff'; readonly value: T };

/** The walk stops waiting for an attempt that is being watched (its caller gone). */
export const WATCHED = Symbol('watched');

/** What the circuit is told of an attempt: only the endpoint's faults are failures. */
export function verdictOf(result: AttemptResult, c: Classified | undefined): Verdict {
  if (result.outcome === 'success') return 'success';
  return c?.blame === 'endpoint' ? 'failure' : 'none';
}

export interface AttemptHooks {
  /** The attempt ended for the caller: `attempt:end` and the request's list. */
  report(result: AttemptResult): void;
  /** The attempt's verdict is known (after its report): a charge, a spare, or nothing yet. */
  judged(classified: Classified | undefined, watched: boolean): void;
  /** Watched attempts, so `router.close()` can cut them. */
  readonly watchedSet: Set<AttemptScope>;
}

/** One admitted attempt, from its start to its release. */
export class Attempt {
  private reported = false;
  private released = false;

  constructor(
    readonly info: AttemptInfo,
    readonly scope: AttemptScope,
    private admission: Admission & { admitted: true },
    private readonly breaker: EndpointBreaker,
    private readonly bulkhead: Bulkhead,
    private readonly hooks: AttemptHooks,
  ) {
    bulkhead.enter();
  }

  /** Ends the attempt for the caller (reported once). */
  report(result: AttemptResult): void {
    if (this.reported) return;
    this.reported = true;
    this.hooks.report(result);
  }

  /** Reports it if it was not yet, frees its slot and timers, and tells its circuit. Once. */
  readonly finish: AttemptFinisher = (result, classified) => {
    if (this.released) return;
    this.released = true;
    const watched = this.scope.isWatched;
    if (watched) this.hooks.watchedSet.delete(this.scope);
    this.bulkhead.leave();
    this.scope.dispose();
    this.breaker.record(this.admission, verdictOf(result, classified), classified?.blame === 'endpoint' ? classified.retryAfterMs : undefined);
    this.report(result);
    this.hooks.judged(classified, watched);
  };

  /** A stream reached its caller: a probe is judged now (see EndpointBreaker.commit). */
  commit(): void {
    this.admission = this.breaker.commit(this.admission);
  }

  get generation(): number {
    return this.admission.generation;
  }

  /**
   * Waits for the runner, unless the caller gives up first and the attempt is watched: then WATCHED at once,
   * and the attempt's own end (its verdict for the circuit) comes later through `finish`.
   */
  await<T>(pending: Promise<AttemptRun<T>>): Promise<AttemptRun<T> | typeof WATCHED> {
    return new Promise((resolve) => {
      let watched = false;
      this.scope.watchable(() => {
        watched = true;
        this.hooks.watchedSet.add(this.scope);
        resolve(WATCHED);
      });
      void pending.then((run) => {
        if (!watched) return resolve(run);
        if (run.kind === 'failed') this.finish(failureResult(run.classified, run.durationMs), run.classified);
        else if (run.kind === 'done') this.finish(run.result);
        // A stream that reached its first chunk before the cut: its abort handler finishes it.
        else this.scope.close();
      });
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
