import type { AbortCause } from '../endpoint/classify.js';

/**
 * A request's lifetime: its deadline and the caller's signal folded into one AbortController, with the cause
 * remembered (the SDK reports every abort alike). Each attempt gets a child controller that also fires on
 * its own timeout. Every timer is cleared by `dispose()`.
 */
export class RequestScope {
  private readonly controller = new AbortController();
  private cause: AbortCause | undefined;
  private readonly deadlineTimer: NodeJS.Timeout;
  private readonly detachCaller: () => void;
  readonly deadlineAt: number;

  constructor(
    readonly deadlineMs: number,
    callerSignal: AbortSignal | null | undefined,
    private readonly now: () => number,
  ) {
    this.deadlineAt = now() + deadlineMs;
    this.deadlineTimer = setTimeout(() => this.abort('deadline'), deadlineMs);
    const onCallerAbort = () => this.abort('cancelled');
    if (callerSignal?.aborted) this.abort('cancelled');
    callerSignal?.addEventListener('abort', onCallerAbort, { once: true });
    this.detachCaller = () => callerSignal?.removeEventListener('abort', onCallerAbort);
  }

  abort(cause: AbortCause): void {
    if (this.cause) return;
    this.cause = cause;
    this.controller.abort(cause);
  }

  get signal(): AbortSignal {
    return this.controller.signal;
  }

  /** Why the request was aborted, if it was. */
  get abortCause(): AbortCause | undefined {
    return this.cause;
  }

  remainingMs(): number {
    return Math.max(0, this.deadlineAt - this.now());
  }

  /** A controller for one attempt: aborted by the request, or by `timeout()` with cause 'timeout'. */
  attempt(): AttemptScope {
    return new AttemptScope(this);
  }

  /** Waits `ms` unless the request is aborted first; resolves false when aborted. */
  sleep(ms: number): Promise<boolean> {
    if (this.signal.aborted) return Promise.resolve(false);
    return new Promise((resolve) => {
      const done = (ok: boolean) => {
        clearTimeout(t);
        this.signal.removeEventListener('abort', onAbort);
        resolve(ok);
      };
      const onAbort = () => done(false);
      const t = setTimeout(() => done(true), ms);
      this.signal.addEventListener('abort', onAbort, { once: true });
    });
  }

  dispose(): void {
    clearTimeout(this.deadlineTimer);
    this.detachCaller();
  }
}

export class AttemptScope {
  private readonly controller = new AbortController();
  private cause: AbortCause | undefined;
  private timer: NodeJS.Timeout | undefined;
  private readonly onParentAbort: () => void;

  constructor(private readonly parent: RequestScope) {
    this.onParentAbort = () => this.abort(parent.abortCause ?? 'cancelled');
    if (parent.signal.aborted) this.onParentAbort();
    else parent.signal.addEventListener('abort', this.onParentAbort, { once: true });
  }

  get signal(): AbortSignal {
    return this.controller.signal;
  }

  get abortCause(): AbortCause | undefined {
    return this.cause;
  }

  abort(cause: AbortCause): void {
    if (this.cause) return;
    this.cause = cause;
    this.controller.abort(cause);
  }

  /** (Re)arms the attempt's timeout: called at start, and after each stream chunk for the idle limit. */
  arm(ms: number): void {
    clearTimeout(this.timer);
    this.timer = setTimeout(() => this.abort('timeout'), ms);
  }

  dispose(): void {
    clearTimeout(this.timer);
    this.parent.signal.removeEventListener('abort', this.onParentAbort);
  }
}
