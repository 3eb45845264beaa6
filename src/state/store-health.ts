/** Failed commands in a row that make the store down (a lost connection does at once). */
const FAILURES_FOR_DOWN = 3;

/**
 * Whether the shared store is up, as its commands and its connection tell, and who is told when that changes.
 * Unknown until the first answer or connection event.
 */
export class StoreHealth {
  private state: boolean | undefined;
  /** Commands failed in a row. */
  private failures = 0;
  private closed = false;
  private readonly listeners = new Set<(up: boolean, reason?: string) => void>();

  get up(): boolean | undefined {
    return this.state;
  }

  onChange(listener: (up: boolean, reason?: string) => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  /** A command was answered. */
  answered(): void {
    this.set(true);
  }

  /**
   * A command failed (timed out, or was refused while disconnected). Down only once it had been up: before
   * the first connection, the connection's own error event tells whether the store is unreachable. One slow
   * answer on a busy host is not an outage: down after a few failures in a row.
   */
  failed(error: Error): void {
    if (++this.failures >= FAILURES_FOR_DOWN && this.state) this.set(false, error);
  }

  /** A command's answer, told to the health as it comes: its value, or undefined when it failed. */
  told<T>(command: Promise<T>): Promise<T | undefined> {
    return command.then(
      (value) => (this.answered(), value),
      (e: Error) => void this.failed(e),
    );
  }

  /** The connection's own events: an error, or a close (`error` undefined). */
  disconnected(error?: Error): void {
    this.set(false, error);
  }

  /** Nothing is reported any more. */
  close(): void {
    this.closed = true;
    this.listeners.clear();
  }

  private set(up: boolean, error?: Error): void {
    if (up) this.failures = 0;
    if (this.closed || this.state === up) return;
    // Before the first answer, a failed connect says "down"; a close event before any answer says nothing.
    if (!up && this.state === undefined && !error) return;
    this.state = up;
    const reason = error ? errorReason(error) : undefined;
    for (const l of this.listeners) l(up, reason);
  }
}

/** A short reason without the URL (it may hold a password): the error code or class, never the message. */
function errorReason(e: Error): string {
  const code = (e as { code?: unknown }).code;
  return typeof code === 'string' ? code : e.name;
}
