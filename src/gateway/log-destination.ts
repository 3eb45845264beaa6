import { EventEmitter } from 'node:events';
import { write as fsWrite, writeSync } from 'node:fs';

/*
 * Where the gateway's JSON lines go: an fd (stdout by default), written asynchronously in batches. A request
 * never waits on a write(2), and the cost of a write (a thread-pool round trip, about 30 µs of CPU whatever
 * its size) is shared by a whole batch. pino's own asynchronous destination (sonic-boom) appends each line
 * to one growing string and measures it again on every line, which made logging the largest allocator on
 * the gateway's hot path; here a line is pushed to an array and the batch is joined once.
 */

export interface BatchOptions {
  /** Where lines go (default 1, stdout). */
  readonly fd?: number;
  /** Bytes of lines gathered before they are written (default 65536). */
  readonly batchBytes?: number;
  /** The longest a line waits in the batch, ms (default 500). */
  readonly batchMs?: number;
  /**
   * Bytes held at most while the destination does not keep up (a full pipe, a stalled disk). Lines beyond
   * are dropped and counted, and a warning line says how many once there is room again (default 16 MiB).
   */
  readonly maxHeldBytes?: number;
}

/** How long a synchronous flush at exit keeps retrying a full pipe before it gives up, ms. */
const EXIT_FLUSH_DEADLINE_MS = 1_000;
/** The pause before a write that found the pipe full (EAGAIN) is tried again, ms. */
const RETRY_MS = 10;

function positive(name: string, value: number): number {
  if (!Number.isFinite(value) || value <= 0) throw new RangeError(`${name} must be a positive number, got ${value}`);
  return value;
}

const droppedLine = (count: number) =>
  `${JSON.stringify({ level: 40, time: Date.now(), msg: 'log lines dropped: the log destination did not keep up', dropped: count })}\n`;

export class BatchedDestination extends EventEmitter<{ write: [bytes: number] }> {
  private readonly fd: number;
  private readonly batchBytes: number;
  private readonly batchMs: number;
  private readonly maxHeldBytes: number;
  private lines: string[] = [];
  /** Size of the held lines in UTF-16 units: bytes for the ASCII JSON pino writes, an estimate otherwise. */
  private held = 0;
  private dropped = 0;
  private writing = false;
  /** A write that found the pipe full, waiting to be tried again. */
  private retry: { buf: Buffer; offset: number } | undefined;
  private timer: NodeJS.Timeout | undefined;
  private waiters: ((e?: Error) => void)[] = [];
  /** Set when the fd failed for good (closed pipe, bad fd): everything after is dropped. */
  private failed: Error | undefined;
  /** This destination's entry in the exit hook. */
  private readonly exitRef: WeakRef<BatchedDestination>;

  constructor(opts: BatchOptions = {}) {
    super();
    this.fd = opts.fd ?? 1;
    this.batchBytes = positive('batchBytes', opts.batchBytes ?? 65_536);
    this.batchMs = positive('batchMs', opts.batchMs ?? 500);
    this.maxHeldBytes = positive('maxHeldBytes', opts.maxHeldBytes ?? 16 * 1024 * 1024);
    this.exitRef = exitFlush.add(this);
  }

  /** Takes one line (pino's destination interface); false when it was dropped. */
  write(line: string): boolean {
    if (this.failed || this.held + line.length > this.maxHeldBytes) {
      this.dropped++;
      return false;
    }
    this.lines.push(line);
    this.held += line.length;
    if (this.writing) return true;
    if (this.held >= this.batchBytes) this.writeBatch();
    else this.armBatchTimer();
    return true;
  }

  /** Writes everything held now; `cb` once it is out (with the fd's error if it failed). pino's `logger.flush(cb)`. */
  flush(cb: (e?: Error) => void = () => undefined): void {
    if (this.failed) return process.nextTick(cb, this.failed);
    if (!this.writing && this.lines.length === 0 && this.dropped === 0) return process.nextTick(cb);
    this.waiters.push(cb);
    if (!this.writing) this.writeBatch();
  }

  /**
   * Writes what is held synchronously, for the process's last moments; gives up on a pipe that stays full.
   * A batch the thread pool is writing at that moment is its own to finish.
   */
  flushSync(): void {
    this.clearTimer();
    const text = this.take();
    if (this.failed) return;
    const giveUpAt = Date.now() + EXIT_FLUSH_DEADLINE_MS;
    const out = (buf: Buffer, from: number) => {
      for (let off = from; off < buf.length; ) {
        try {
          off += writeSync(this.fd, buf, off, buf.length - off);
        } catch (e) {
          if ((e as NodeJS.ErrnoException).code !== 'EAGAIN' || Date.now() > giveUpAt) return false;
        }
      }
      return true;
    };
    // A batch waiting to be retried goes first, to keep the lines in order.
    const retry = this.retry;
    this.retry = undefined;
    if (retry && !out(retry.buf, retry.offset)) return;
    if (text) out(Buffer.from(text), 0);
  }

  /** Writes what is held synchronously and leaves the exit hook; later lines are dropped. */
  close(): void {
    this.flushSync();
    this.failed ??= new Error('log destination closed');
    exitFlush.delete(this.exitRef);
  }

  /** Armed only while lines wait, so an idle process holds no timer. */
  private armBatchTimer(): void {
    this.timer ??= setTimeout(() => this.writeBatch(), this.batchMs).unref();
  }

  private clearTimer(): void {
    clearTimeout(this.timer);
    this.timer = undefined;
  }

  /** The held lines as one string (with the count of dropped lines last), or '' when none. */
  private take(): string {
    if (this.dropped > 0) {
      this.lines.push(droppedLine(this.dropped));
      this.dropped = 0;
    }
    if (this.lines.length === 0) return '';
    const text = this.lines.join('');
    this.lines = [];
    this.held = 0;
    return text;
  }

  private writeBatch(): void {
    this.clearTimer();
    const text = this.take();
    if (!text) return this.settle();
    this.writing = true;
    this.writeOut(Buffer.from(text), 0);
  }

  private writeOut(buf: Buffer, offset: number): void {
    fsWrite(this.fd, buf, offset, buf.length - offset, null, (err, written) => {
      if (err?.code === 'EAGAIN') {
        this.retry = { buf, offset };
        this.timer = setTimeout(() => {
          this.retry = undefined;
          this.writeOut(buf, offset);
        }, RETRY_MS).unref();
        return;
      }
      if (err) return this.fail(err);
      if (offset + written < buf.length) return this.writeOut(buf, offset + written);
      this.writing = false;
      this.emit('write', buf.length);
      if (this.waiters.length > 0 || this.held >= this.batchBytes) this.writeBatch();
      else if (this.lines.length > 0) this.armBatchTimer();
    });
  }

  /** Nothing is held or being written: whoever waited on a flush is told. */
  private settle(): void {
    const waiters = this.waiters;
    this.waiters = [];
    for (const cb of waiters) cb(this.failed);
  }

  private fail(err: Error): void {
    // Like pino on EPIPE: logging stops quietly; a process must not crash because its log reader went away.
    this.failed = err;
    this.writing = false;
    this.clearTimer();
    this.lines = [];
    this.held = 0;
    this.settle();
  }
}

/*
 * Lines still held when the process exits are written synchronously: a crash's last lines are the ones that
 * matter. Destinations are held weakly, so one that is dropped without close() is still collected.
 */
const exitFlush = (() => {
  const live = new Set<WeakRef<BatchedDestination>>();
  const collected = new FinalizationRegistry<WeakRef<BatchedDestination>>((ref) => live.delete(ref));
  let installed = false;
  const onExit = () => {
    for (const ref of live) ref.deref()?.flushSync();
  };
  return {
    add(d: BatchedDestination): WeakRef<BatchedDestination> {
      const ref = new WeakRef(d);
      live.add(ref);
      collected.register(d, ref, ref);
      if (!installed) process.once('exit', onExit);
      installed = true;
      return ref;
    },
    delete(ref: WeakRef<BatchedDestination>) {
      live.delete(ref);
      collected.unregister(ref);
    },
  };
})();
