import { AsyncLocalStorage } from 'node:async_hooks';
import type { RequestOutcome } from '../endpoint/outcome.js';
import type { AttemptInfo, RequestInfo, RequestResult } from '../router/events.js';
import type { Router } from '../router/types.js';

/*
 * What the router did for one HTTP request (route, answering endpoint, attempt count, outcome), for the
 * x-switchyard-* headers and the request log line. The router emits its events synchronously in the
 * caller's async context, so an AsyncLocalStorage entered around the call tells which HTTP request an event
 * belongs to without the engine knowing anything about HTTP.
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
  /** Runs `fn` with `info` as the current call, so router events fired inside it update `info`. */
  run<T>(info: CallInfo, fn: () => T): T;
  /** Detaches from the router's events. */
  dispose(): void;
}

export const newCallInfo = (): CallInfo => ({ attempts: 0, ended: false });

export function trackCalls(router: Router): CallTracker {
  const als = new AsyncLocalStorage<CallInfo>();
  // Events from nested or concurrent router use outside a tracked call find no store and are ignored.
  const owned = new WeakMap<RequestInfo, CallInfo>();
  const onStart = (request: RequestInfo) => {
    const info = als.getStore();
    if (!info) return;
    owned.set(request, info);
    info.requestId = request.id;
    info.route = request.route;
  };
  const onAttempt = (attempt: AttemptInfo) => {
    const info = owned.get(attempt.request) ?? als.getStore();
    if (!info) return;
    info.endpoint = attempt.endpoint;
    info.attempts = Math.max(info.attempts, attempt.number);
  };
  const onEnd = (request: RequestInfo, result: RequestResult) => {
    const info = owned.get(request) ?? als.getStore();
    if (!info) return;
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
    run: (info, fn) => als.run(info, fn),
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
