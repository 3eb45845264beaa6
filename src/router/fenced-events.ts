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

  override emit<K extends keyof RouterEvents>(name: K, ...args: RouterEvents[K]): boolean {
    const listeners = this.rawListeners(name as string) as ((...a: unknown[]) => unknown)[];
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
