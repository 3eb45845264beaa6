import { EventEmitter } from 'node:events';
import type { RouterEvents } from './events.js';

/**
 * The router's event emitter, with every listener fenced. Events are emitted in the middle of the router's
 * bookkeeping (a slot taken, a probe admitted, a request ending): a listener that throws must not skip the
 * release that follows, nor the listeners after it, nor fail the caller's request. Its error is reported
 * once as a process warning (library code does not log); later ones are not reported, so a listener that
 * fails on every event cannot flood the process with warnings. An async listener's rejection is caught too.
 */
export class FencedEmitter extends EventEmitter<RouterEvents> {
  private warned = false;
  /**
   * Each event's listeners as of the last change, so that an emit iterates them without copying them
   * (EventEmitter copies the list on every emit); a change drops the event's entry and the next emit reads
   * the list again. A listener added or removed during an emit takes effect from the next one, as with
   * EventEmitter.
   */
  private readonly current = new Map<string | symbol, Listener[]>();

  private readonly changed = (name: string | symbol) => void this.current.delete(name);

  constructor() {
    super();
    this.watchChanges();
  }

  /** Leaves this emitter's own watchers of listener changes in place, whatever is removed. */
  override removeAllListeners(name?: keyof RouterEvents): this {
    const own = EventEmitter.prototype as unknown as { rawListeners(n: string): unknown[]; off(n: string, f: unknown): unknown; removeAllListeners(n: string): unknown };
    for (const n of (name === undefined ? this.eventNames() : [name]) as (string | symbol)[]) {
      if (n === 'newListener' || n === 'removeListener') {
        for (const l of own.rawListeners.call(this, n)) if (l !== this.changed) own.off.call(this, n, l);
      } else own.removeAllListeners.call(this, n as string);
    }
    this.current.clear();
    return this;
  }

  private watchChanges(): void {
    const on = EventEmitter.prototype.on as (this: EventEmitter, name: string, f: (name: string | symbol) => void) => EventEmitter;
    // 'newListener' comes before the listener is added: the next emit reads the list with it.
    on.call(this, 'newListener', this.changed);
    on.call(this, 'removeListener', this.changed);
  }

  override emit<K extends keyof RouterEvents>(name: K, ...args: RouterEvents[K]): boolean {
    let listeners = this.current.get(name as string);
    if (listeners === undefined) this.current.set(name as string, (listeners = this.rawListeners(name as string) as Listener[]));
    if (listeners.length === 0) return false;
    for (const listener of listeners) {
      try {
        const result = listener.apply(this, args) as { then?: unknown; catch?: (f: (e: unknown) => void) => unknown } | undefined;
        // An async listener's rejection would be unhandled, which ends a Node 20 process.
        if (result && typeof result.then === 'function' && typeof result.catch === 'function') result.catch((e) => this.report(name as string, e));
      } catch (error) {
        this.report(name as string, error);
      }
    }
    return true;
  }

  private report(name: string, error: unknown): void {
    if (this.warned) return;
    this.warned = true;
    const message = error instanceof Error ? error.message : String(error);
    process.emitWarning(`switchyard: a router.events '${name}' listener threw (${message}); the router went on. Further listener errors are not reported.`);
  }
}

type Listener = (...a: unknown[]) => unknown;
