import { CancelSource, type Cancellation } from '../endpoint/cancellation.js';
import type { AbortCause, AttemptEvidence } from '../endpoint/classify.js';
import type { Liveness } from './liveness.js';

/*
 * A request's lifetime: its deadline and the caller's signal or cancellation, with the cause of an abort
 * remembered (the SDK reports every abort alike). No AbortSignals of its own (see endpoint/cancellation.ts):
 * the request aborts its attempts directly, and each attempt is a Cancellation its transport watches.
 */
export class RequestScope {
  private cause: AbortCause | undefined;
  private readonly deadlineTimer: NodeJS.Timeout;
  private readonly attempts = new Set<AttemptScope>();
  private readonly sleepers = new Set<() => void>();
  private detachCaller: (() => void) | undefined;
  /** The caller's cancellation and this request's callback on it, dropped from it when the request ends. */
  private readonly cancellation: Cancellation | undefined;
  private readonly onCancel: (() => void) | undefined;
  readonly deadlineAt: number;

  constructor(
    readonly deadlineMs: number,
    callerSignal: AbortSignal | null | undefined,
    private readonly now: () => number,
    cancellation?: Cancellation,
  ) {
    this.deadlineAt = now() + deadlineMs;
    this.deadlineTimer = setTimeout(() => this.abort('deadline'), deadlineMs);
    if (cancellation) {
      this.cancellation = cancellation;
      this.onCancel = () => this.abort('cancelled');
      cancellation.onAbort(this.onCancel);
    }
    if (callerSignal?.aborted) this.abort('cancelled');
    else if (callerSignal) {
      const onCallerAbort = () => this.abort('cancelled');
      callerSignal.addEventListener('abort', onCallerAbort, { once: true });
      this.detachCaller = () => callerSignal.removeEventListener('abort', onCallerAbort);
    }
  }

  abort(cause: AbortCause): void {
    if (this.cause) return;
    this.cause = cause;
    for (const a of this.attempts) a.abort(cause);
    for (const wake of this.sleepers) wake();
  }

  get aborted(): boolean {
    return this.cause !== undefined;
  }

  /** Why the request was aborted, if it was. */
  get abortCause(): AbortCause | undefined {
    return this.cause;
  }

  remainingMs(): number {
    return Math.max(0, this.deadlineAt - this.now());
  }

  /** A controller for one attempt: aborted by the request, or by its own `arm()` timeout with cause 'timeout'. */
  attempt(liveness: Liveness, startedAt: number): AttemptScope {
    const a = new AttemptScope(() => this.attempts.delete(a), liveness, startedAt, this.now);
    if (this.cause) a.abort(this.cause);
    else this.attempts.add(a);
    return a;
  }

  /** Waits `ms` unless the request is aborted first; resolves false when aborted. */
  sleep(ms: number): Promise<boolean> {
    if (this.cause) return Promise.resolve(false);
    return new Promise((resolve) => {
      const done = (ok: boolean) => {
        clearTimeout(t);
        this.sleepers.delete(wake);
        resolve(ok);
      };
      const wake = () => done(false);
      const t = setTimeout(() => done(true), ms);
      this.sleepers.add(wake);
    });
  }

  dispose(): void {
    clearTimeout(this.deadlineTimer);
    this.detachCaller?.();
    if (this.onCancel) this.cancellation!.offAbort?.(this.onCancel);
  }
}

/**
 * One attempt: aborted by its request, or by its own `arm()` timeout with cause 'timeout'. When its request
 * is abandoned (the caller gave up, or the deadline passed) before the provider sent anything, the attempt
 * may be *watched* instead (see Liveness): the caller is let go at once, the upstream call goes on until the
 * provider is heard from (then it is cut) or the attempt's own timeout passes.
 */
export class AttemptScope extends CancelSource {
  private cause: AbortCause | undefined;
  private timer: NodeJS.Timeout | undefined;
  /** The limit `timer` runs for. */
  private timerMs = 0;
  /** The provider's response headers arrived. */
  private answered = false;
  /** Set while the caller is gone and the attempt goes on to learn the provider's health. */
  private watched = false;
  /** Called when the attempt is watched: the walk stops waiting for it. */
  private onWatched: (() => void) | undefined;

  constructor(
    private readonly releaseFromRequest: () => void,
    private readonly liveness: Liveness,
    readonly startedAt: number,
    private readonly now: () => number,
  ) {
    super();
  }

  get abortCause(): AbortCause | undefined {
    return this.cause;
  }

  /** What the attempt saw of the provider, for classify(). */
  evidence(): AttemptEvidence {
    // Heard from within one timeout before the attempt began, or since: the provider is answering others, and
    // this attempt's silence may be its own long answer. A provider silent that long is hung.
    return { answered: this.answered, alive: this.answered || this.liveness.heardSince(this.startedAt - this.liveness.timeoutMs) };
  }

  /** The transport got the provider's response headers. A watched attempt has learned what it waited for. */
  heard(): void {
    if (this.answered) return;
    this.answered = true;
    this.liveness.heard(this.now());
    // Cut on the next tick: this runs inside the transport's response handler.
    if (this.watched) queueMicrotask(() => this.end('cancelled'));
  }

  /**
   * Lets the attempt be watched when its request is abandoned before the provider said anything: `onWatched`
   * is called then, instead of the attempt being aborted. Call before the transport is.
   */
  watchable(onWatched: () => void): void {
    this.onWatched = onWatched;
  }

  get isWatched(): boolean {
    return this.watched;
  }

  abort(cause: AbortCause): void {
    if (this.cause) return;
    if (this.onWatched && !this.watched && !this.answered && (cause === 'cancelled' || cause === 'deadline') && this.liveness.watch(this.startedAt)) {
      this.watched = true;
      this.onWatched();
      return;
    }
    this.end(cause);
  }

  /** `router.close()`: a watched attempt too is cut at once. */
  close(): void {
    this.end('closed');
  }

  private end(cause: AbortCause): void {
    if (this.cause) return;
    this.cause = cause;
    this.stopTimer();
    this.cancel();
  }

  /** (Re)arms the attempt's timeout: called at start, and after each stream chunk for the idle limit. */
  arm(ms: number): void {
    // Aborted: a new timer would only hold the process open until it fired, to no effect.
    if (this.cause) return;
    // The same limit again (every chunk of a stream): the running timer is moved on, not replaced by a new
    // one, which took a Timeout object and a closure per chunk.
    if (this.timer && this.timerMs === ms) {
      this.timer.refresh();
      return;
    }
    clearTimeout(this.timer);
    this.timerMs = ms;
    this.timer = setTimeout(() => this.end('timeout'), ms);
  }

  /** Cleared and forgotten: `refresh()` would start a cleared timer again. */
  private stopTimer(): void {
    clearTimeout(this.timer);
    this.timer = undefined;
  }

  dispose(): void {
    if (this.watched) {
      this.watched = false;
      this.liveness.unwatch(this.startedAt);
    }
    this.stopTimer();
    this.release();
    this.releaseFromRequest();
  }
}
