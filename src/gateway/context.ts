import type { RequestOutcome } from '../endpoint/outcome.js';
import type { AttemptInfo, RequestInfo, RequestResult } from '../router/events.js';
import type { Router } from '../router/types.js';

/*
 * What the router did for one HTTP request (route, answering endpoint, attempt count, outcome), for the
 * x-switchyard-* headers and the request log line. The router emits `request:start` synchronously inside
 * `dispatch()`, so the call being run at that moment owns the request; every later event names its request.
 * No AsyncLocalStorage: with one active, every promise in the process pays an async hook.
 */

export interface CallInfo {
  /** The router's id for this request, once it started. */
  requestId?: string;
  route?: string;
  /** The endpoint of the latest attempt; on success, the one that answered. */
  endpoint?: string;
  attempts: number;
  outcome?: RequestOutcome;
  /** Set once the router's `request:end` arrived. */
  ended: boolean;
}

export interface CallTracker {
  /** Runs `fn`, which calls `router.dispatch()` synchronously: events of the request it starts update `info`. */
  run<T>(info: CallInfo, fn: () => T): T;
  /** Detaches from the router's events. */
  dispose(): void;
}

export const newCallInfo = (): CallInfo => ({ attempts: 0, ended: false });

export function trackCalls(router: Router): CallTracker {
  let current: CallInfo | undefined;
  // Requests started outside a tracked call (the demo's own traffic, a library user's) are ignored. A Map
  // rather than a WeakMap (whose entries cost the GC extra work): every request ends, and its entry with it.
  const owned = new Map<RequestInfo, CallInfo>();
  const onStart = (request: RequestInfo) => {
    const info = current;
    if (!info) return;
    owned.set(request, info);
    info.requestId = request.id;
    info.route = request.route;
  };
  const onAttempt = (attempt: AttemptInfo) => {
    const info = owned.get(attempt.request);
    if (!info) return;
    info.endpoint = attempt.endpoint;
    info.attempts = Math.max(info.attempts, attempt.number);
  };
  const onEnd = (request: RequestInfo, result: RequestResult) => {
    const info = owned.get(request);
    if (!info) return;
    owned.delete(request);
    info.route = request.route;
    info.outcome = result.outcome;
    info.attempts = result.attempts;
    if (result.endpoint) info.endpoint = result.endpoint;
    info.ended = true;
  };
  router.events.on('request:start', onStart);
  router.events.on('attempt:start', onAttempt);
  router.events.on('request:end', onEnd);
  return {
    run(info, fn) {
      const outer = current;
      current = info;
      try {
        return fn();
      } finally {
        current = outer;
      }
    },
    dispose() {
      router.events.off('request:start', onStart);
      router.events.off('attempt:start', onAttempt);
      router.events.off('request:end', onEnd);
    },
  };
}

/** The x-switchyard-* response headers for what is known so far. */
export function switchyardHeaders(info: CallInfo): Record<string, string> {
  const h: Record<string, string> = {};
  if (info.route) h['x-switchyard-route'] = info.route;
  if (info.endpoint) h['x-switchyard-endpoint'] = info.endpoint;
  if (info.route) h['x-switchyard-attempts'] = String(info.attempts);
  return h;
}
