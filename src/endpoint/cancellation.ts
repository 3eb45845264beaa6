/*
 * Cancellation without AbortSignals. On Node 20 creating an AbortSignal costs about 5 µs and each listener
 * on it a few more: with a signal per request and per attempt and a listener at every layer, that was more
 * than the router's own work per call (bench/RESULTS.md). Inside Switchyard an abort is a plain callback list.
 */

/** Something that may be aborted, and tells whoever asked when it is. */
export interface Cancellation {
  readonly aborted: boolean;
  /** Calls `fn` once when aborted (at once if already aborted). Callbacks are dropped once the work is over. */
  onAbort(fn: () => void): void;
  /**
   * Drops `fn`: the work it was for ended first. Without it a Cancellation that outlives the work (one
   * shared by many requests) keeps every callback, and what it holds, until it is aborted or collected.
   */
  offAbort?(fn: () => void): void;
  /**
   * Called by a transport when the provider's response headers arrive: the provider is alive, whatever the
   * answer turns out to be. The router's attribution reads it (a timeout after it is a long answer, not a hang).
   */
  heard?(): void;
}

/** A Cancellation its owner fires with `cancel()`. */
export class CancelSource implements Cancellation {
  private callbacks: (() => void)[] | undefined;
  private done = false;
  private fired = false;

  get aborted(): boolean {
    return this.fired;
  }

  onAbort(fn: () => void): void {
    if (this.aborted) fn();
    else if (!this.done) (this.callbacks ??= []).push(fn);
  }

  offAbort(fn: () => void): void {
    const fns = this.callbacks;
    const i = fns ? fns.lastIndexOf(fn) : -1;
    if (i !== -1) fns!.splice(i, 1);
  }

  /** Fires the callbacks once; later calls do nothing. */
  cancel(): void {
    if (this.fired || this.done) return;
    this.fired = true;
    const fns = this.callbacks;
    this.callbacks = undefined;
    if (fns) for (const fn of fns) fn();
  }

  /** The work is over: callbacks are dropped and a later `cancel()` does nothing. */
  release(): void {
    this.done = true;
    this.callbacks = undefined;
  }
}

/** An AbortSignal that follows `c`, for APIs that take one (the openai SDK). */
export function signalOf(c: Cancellation): AbortSignal {
  const controller = new AbortController();
  c.onAbort(() => controller.abort());
  return controller.signal;
}
