import { EventEmitter } from 'node:events';
import type { RouterEvents } from './events.js';

/**
 * The router's event emitter, with every listener fenced. Events are emitted in the middle of the router's
 * bookkeeping (a slot taken, a probe admitted, a request ending): a listener that throws must not skip the
 * release that follows, nor the listeners after it, nor fail the caller's request. Its error is reported
 * once as a process warning (library code does not log).
 */
export class FencedEmitter extends EventEmitter<RouterEvents> {
  private warned = false;

  override emit<K extends keyof RouterEvents>(name: K, ...args: RouterEvents[K]): boolean {
    const listeners = this.rawListeners(name as string) as ((...a: unknown[]) => unknown)[];
    if (listeners.length === 0) return false;
    for (const listener of listeners) {
      try {
        listener.apply(this, args);
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
