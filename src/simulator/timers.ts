/**
 * Every delay the simulator waits goes through one TimerSet, so close() can cancel them all at once: a
 * simulator must never keep a test process (or a benchmark) alive after it is closed.
 */
export class TimerSet {
  readonly #pending = new Map<NodeJS.Timeout, () => void>();
  #closed = false;

  /** Number of delays currently waiting. */
  get size(): number {
    return this.#pending.size;
  }

  /**
   * Resolves true once `ms` have passed, false as soon as `signal` aborts or the set is cleared. It never
   * rejects, so an abandoned request does not turn into an unhandled rejection.
   */
  sleep(ms: number, signal?: AbortSignal): Promise<boolean> {
    if (this.#closed || signal?.aborted) return Promise.resolve(false);
    return new Promise<boolean>((resolve) => {
      const finish = (elapsed: boolean) => {
        clearTimeout(timer);
        this.#pending.delete(timer);
        signal?.removeEventListener('abort', onAbort);
        resolve(elapsed);
      };
      const onAbort = () => finish(false);
      const timer = setTimeout(() => finish(true), ms);
      this.#pending.set(timer, onAbort);
      signal?.addEventListener('abort', onAbort, { once: true });
    });
  }

  /** Cancels every pending delay (they resolve false) and refuses new ones. */
  close(): void {
    this.#closed = true;
    for (const cancel of [...this.#pending.values()]) cancel();
  }
}

/** Resolves when `signal` aborts: how a hung request waits, with no timer at all. */
export function untilAborted(signal: AbortSignal): Promise<void> {
  if (signal.aborted) return Promise.resolve();
  return new Promise((resolve) => signal.addEventListener('abort', () => resolve(), { once: true }));
}
