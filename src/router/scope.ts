import type { AbortCause } from '../endpoint/classify.js';

/*
 * A request's lifetime: its deadline and the caller's signal, with the cause of an abort remembered (the SDK
 * reports every abort alike). The request holds no AbortController of its own: it aborts its attempts
 * directly. A listener on an AbortSignal costs about 10 µs on Node 20, more than the rest of the router's
 * bookkeeping together, so the only one here is on the caller's signal, when there is one.
 */
export class RequestScope {
  private cause: AbortCause | undefined;
  private readonly deadlineTimer: NodeJS.Timeout;
  private readonly attempts = new Set<AttemptScope>();
  private readonly sleepers = new Set<() => void>();
  private detachCaller: (() => void) | undefined;
  readonly deadlineAt: number;

  constructor(
    readonly deadlineMs: number,
    callerSignal: AbortSignal | null | undefined,
    private readonly now: () => number,
  ) {
    this.deadlineAt = now() + deadlineMs;
    this.deadlineTimer = setTimeout(() => this.abort('deadline'), deadlineMs);
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
  attempt(): AttemptScope {
    const a = new AttemptScope(() => this.attempts.delete(a));
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
  }
}

export class AttemptScope {
  private readonly controller = new AbortController();
  private cause: AbortCause | undefined;
  private timer: NodeJS.Timeout | undefined;

  constructor(private readonly release: () => void) {}

  /** For the transport: fires on the attempt's timeout or the request's abort. */
  get signal(): AbortSignal {
    return this.controller.signal;
  }

  get abortCause(): AbortCause | undefined {
    return this.cause;
  }

  abort(cause: AbortCause): void {
    if (this.cause) return;
    this.cause = cause;
    clearTimeout(this.timer);
    this.controller.abort(cause);
  }

  /** (Re)arms the attempt's timeout: called at start, and after each stream chunk for the idle limit. */
  arm(ms: number): void {
    clearTimeout(this.timer);
    this.timer = setTimeout(() => this.abort('timeout'), ms);
  }

  dispose(): void {
    clearTimeout(this.timer);
    this.release();
  }
}
