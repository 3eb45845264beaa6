import type { EventEmitter } from 'node:events';
import type { RouterEvents } from '../router/events.js';

export type RouterEventHandlers = { [K in keyof RouterEvents]?: (...args: RouterEvents[K]) => void };

export type ErrorHandler = (error: unknown) => void;

/*
 * The router emits synchronously inside the caller's request: a throwing subscriber would fail the caller's
 * completion. Telemetry must never do that, so every handler is fenced and its errors reported aside.
 */
export function subscribe(
  events: EventEmitter<RouterEvents>,
  handlers: RouterEventHandlers,
  onError: ErrorHandler,
): () => void {
  const added: Array<[keyof RouterEvents, (...args: unknown[]) => void]> = [];
  for (const name of Object.keys(handlers) as Array<keyof RouterEvents>) {
    const handler = handlers[name] as ((...args: unknown[]) => void) | undefined;
    if (!handler) continue;
    const listener = (...args: unknown[]): void => {
      try {
        handler(...args);
      } catch (error) {
        onError(error);
      }
    };
    events.on(name, listener as never);
    added.push([name, listener]);
  }
  return () => {
    for (const [name, listener] of added) events.off(name, listener as never);
    added.length = 0;
  };
}

/** Default error sink: one process warning, not one per request (a bug here would repeat on every event). */
export function warnOnce(): ErrorHandler {
  let warned = false;
  return (error) => {
    if (warned) return;
    warned = true;
    const message = error instanceof Error ? error.message : String(error);
    process.emitWarning(`switchyard telemetry: ${message} (further telemetry errors are not reported)`);
  };
}
