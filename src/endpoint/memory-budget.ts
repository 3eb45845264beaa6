/*
 * What the streams of one router hold, together: the unfinished events in their parsers and the parsed
 * chunks waiting for their readers. Each stream is bounded on its own (an event by `maxEventBytes`, its queue
 * by pausing the connection); this bounds them all, so that many streams at their limits at once (thirty
 * providers sending endless lines, readers that stopped reading) cannot take the process past its memory.
 */

/** A stream asked for more than the budget has left: failed on this side, counted against no endpoint. */
export class MemoryBudgetError extends Error {
  readonly isMemoryBudgetError = true;
  constructor(readonly maxBytes: number) {
    super(`the streams in flight hold ${maxBytes} bytes, the most allowed (limits.maxStreamBytes)`);
    this.name = 'MemoryBudgetError';
  }
}

export function isMemoryBudgetError(e: unknown): e is MemoryBudgetError {
  return e instanceof MemoryBudgetError;
}

/** A count of bytes held, against a maximum. Units are string characters or bytes, whichever the holder counts. */
export class MemoryBudget {
  private used = 0;

  constructor(readonly maxBytes: number) {
    if (!(maxBytes > 0)) throw new RangeError(`a memory budget must be a positive number of bytes, got ${String(maxBytes)}`);
  }

  /** Bytes held now. */
  held(): number {
    return this.used;
  }

  /** Holds `n` more, or throws MemoryBudgetError (holding nothing) when that would pass the maximum. */
  take(n: number): void {
    if (this.used + n > this.maxBytes) throw new MemoryBudgetError(this.maxBytes);
    this.used += n;
  }

  /** Holds `n` more whatever the maximum: for what is already in memory and bounded elsewhere. */
  add(n: number): void {
    this.used += n;
  }

  give(n: number): void {
    this.used -= n;
  }
}

/** No bound: for a parser or a stream made outside a router (tests, tools). */
export const UNBOUNDED = new MemoryBudget(Number.POSITIVE_INFINITY);
