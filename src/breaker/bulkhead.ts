/**
 * Caps the attempts one endpoint has in flight (`endpoints.<id>.maxConcurrent`). A provider that hangs holds
 * every attempt sent to it until its timeout, and its circuit cannot trip before the first of them time out:
 * without a cap, every request of that first timeout period waits the whole timeout out. With one, only
 * `limit` of them do; the rest skip the endpoint at once, as they skip an open circuit.
 */
export class Bulkhead {
  private running = 0;

  /** @param limit attempts allowed in flight at once; `undefined` for no cap. */
  constructor(readonly limit: number | undefined) {
    if (limit !== undefined && !(Number.isInteger(limit) && limit >= 1)) {
      throw new RangeError(`Bulkhead limit must be a positive integer, got ${limit}`);
    }
  }

  /** Attempts in flight now. */
  get inFlight(): number {
    return this.running;
  }

  /** No further attempt may start until one in flight ends. */
  get full(): boolean {
    return this.limit !== undefined && this.running >= this.limit;
  }

  /** An attempt starts: call once per attempt, and `leave` once when it ends, however it ends. */
  enter(): void {
    this.running++;
  }

  /** An attempt ended. A leave without its enter is a bug that would let the cap drift: it throws. */
  leave(): void {
    if (this.running === 0) throw new RangeError('Bulkhead.leave() without a matching enter(): 0 attempts in flight');
    this.running--;
  }
}
