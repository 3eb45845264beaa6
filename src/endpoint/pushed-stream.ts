/**
 * An async iterator fed by callbacks: the transport pushes what arrives, the reader pulls. Items queue up
 * while the reader is busy; past `highWater` of them, or `highWaterBytes` of their sizes, the producer is
 * told to pause, and resumed once the reader has caught up. An error is delivered after the items queued
 * before it, like a stream's. The sizes of queued items are held in `budget` until the reader takes them.
 */
export class PushedStream<T> implements AsyncIterator<T, undefined> {
  private items: T[] = [];
  private head = 0;
  private finished = false;
  private failure: { error: unknown } | undefined;
  private waiting: { resolve: (r: IteratorResult<T, undefined>) => void; reject: (e: unknown) => void } | undefined;
  private paused = false;
  /** Sizes of the queued items, by index, and their sum. */
  private sizes: number[] = [];
  private bytes = 0;

  constructor(
    private readonly flow: {
      /** Items queued before the producer is paused. */
      readonly highWater: number;
      /** Sum of the queued items' sizes before the producer is paused (default: no such bound). */
      readonly highWaterBytes?: number;
      /** Where queued sizes are held (`add`) and given back; the parser's budget. */
      readonly budget?: { add(n: number): void; give(n: number): void };
      readonly pause: () => void;
      readonly resume: () => void;
      /** The reader stopped before the end (`return()`, e.g. `break` in a `for await`). */
      readonly stopped: () => void;
    },
  ) {}

  /** Queues an item of `size` (bytes, say), or hands it to a waiting reader. Ignored after the end. */
  push(item: T, size = 0): void {
    if (this.finished) return;
    const w = this.waiting;
    if (w) {
      this.waiting = undefined;
      w.resolve({ done: false, value: item });
      return;
    }
    this.items.push(item);
    this.sizes.push(size);
    this.bytes += size;
    this.flow.budget?.add(size);
    if (!this.paused && (this.items.length - this.head >= this.flow.highWater || this.bytes >= (this.flow.highWaterBytes ?? Number.POSITIVE_INFINITY))) {
      this.paused = true;
      this.flow.pause();
    }
  }

  /** No more items: the reader gets what is queued, then the end. */
  end(): void {
    this.settle(undefined);
  }

  /** The reader gets what is queued, then `error`. */
  fail(error: unknown): void {
    this.settle({ error });
  }

  private settle(failure: { error: unknown } | undefined): void {
    if (this.finished) return;
    this.finished = true;
    this.failure = failure;
    const w = this.waiting;
    if (!w) return;
    this.waiting = undefined;
    if (failure) w.reject(failure.error);
    else w.resolve({ done: true, value: undefined });
  }

  next(): Promise<IteratorResult<T, undefined>> {
    if (this.head < this.items.length) {
      const value = this.items[this.head]!;
      const size = this.sizes[this.head]!;
      this.bytes -= size;
      this.flow.budget?.give(size);
      this.items[this.head++] = undefined as T;
      if (this.head === this.items.length) {
        this.items = [];
        this.sizes = [];
        this.head = 0;
        if (this.paused) {
          this.paused = false;
          this.flow.resume();
        }
      }
      return Promise.resolve({ done: false, value });
    }
    if (this.finished) {
      const f = this.failure;
      this.failure = undefined;
      return f ? Promise.reject(f.error) : Promise.resolve({ done: true, value: undefined });
    }
    return new Promise((resolve, reject) => (this.waiting = { resolve, reject }));
  }

  return(): Promise<IteratorResult<T, undefined>> {
    if (!this.finished) {
      this.finished = true;
      this.flow.stopped();
    }
    this.drop();
    this.failure = undefined;
    return Promise.resolve({ done: true, value: undefined });
  }

  /** Drops what is queued (the reader left), giving its sizes back. */
  private drop(): void {
    this.flow.budget?.give(this.bytes);
    this.bytes = 0;
    this.items = [];
    this.sizes = [];
    this.head = 0;
  }
}
