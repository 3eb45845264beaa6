import {
  APIConnectionError,
  APIConnectionTimeoutError,
  APIError,
  APIUserAbortError,
  AuthenticationError,
  BadRequestError,
  InternalServerError,
  NotFoundError,
  PermissionDeniedError,
  RateLimitError,
} from 'openai';
import type { AttemptRecord } from './router-errors.js';
import {
  isAllAttemptsFailedError,
  isDeadlineExceededError,
  isInvalidRequestError,
  isLocalAttemptError,
  isRequestCancelledError,
  isRouteUnavailableError,
  isRouterClosedError,
  isStreamInterruptedError,
  isUnknownRouteError,
  isUnsupportedOperationError,
  isUpstreamClientError,
} from './router-errors.js';

/*
 * The library's errors as the openai SDK's own classes, so code written for `new OpenAI()` catches them as
 * it always did (`instanceof OpenAI.RateLimitError`, `e.status`, `e.code`, `e.param`, `e.headers`), with
 * Switchyard's facts on top: the same fields and `isX` markers as its own error classes, so the `isX()`
 * guards and `instanceof RouteUnavailableError` (a Symbol.hasInstance brand) hold for both.
 */

/** What a converted error carries besides the SDK's fields. */
export interface SwitchyardFacts {
  /** The Switchyard error code (`route_unavailable`, `all_attempts_failed`, `upstream_client_error`…). */
  readonly switchyardCode: string;
  readonly route?: string;
  /** The endpoint that answered (a client error) or broke (an interrupted stream). */
  readonly endpoint?: string;
  readonly attempts?: readonly AttemptRecord[];
  /** Epoch ms the route admits traffic again (route_unavailable); Infinity when none is scheduled. */
  readonly retryAt?: number;
  readonly skipped?: readonly { readonly endpoint: string; readonly reason: string }[];
}

type Body = { message: string; type: string; code: string | null; param?: string | null };
const body = (message: string, type: string, code: string | null, param: string | null = null): Body => ({ message, type, param, code });

/** Copies the Switchyard error's own fields and markers (`isSwitchyardError`, `isRouteUnavailableError`…) onto `target`. */
function withFacts<E extends Error>(target: E, source: Error & { code?: unknown }): E & SwitchyardFacts {
  const facts: Record<string, unknown> = { switchyardCode: source.code };
  for (const [k, v] of Object.entries(source)) {
    if (k === 'code' || k === 'status' || k === 'headers' || k === 'message' || k === 'param' || k === 'name') continue;
    facts[k] = v;
  }
  Object.assign(target, facts);
  // Non-enumerable: the SDK error's own `cause` stays what it was, but the original is reachable.
  Object.defineProperty(target, 'switchyardError', { value: source, enumerable: false });
  return target as E & SwitchyardFacts;
}

function statusError(status: number, b: Body, headers: Headers): APIError {
  return APIError.generate(status, { error: b }, undefined, headers);
}

/** The SDK class for the way the last attempt failed. */
function lastAttemptError(attempts: readonly AttemptRecord[], b: Body): APIError {
  const last = attempts.at(-1);
  const headers = new Headers({ 'x-should-retry': 'false' });
  switch (last?.outcome) {
    case 'rate_limited':
    case 'quota_exhausted':
      return new RateLimitError(429, b, undefined, headers);
    case 'connection_error':
      return new APIConnectionError({ message: b.message });
    case 'timeout':
      return new APIConnectionTimeoutError({ message: b.message });
    case 'auth_error':
      return last.status === 403 ? new PermissionDeniedError(403, b, undefined, headers) : new AuthenticationError(401, b, undefined, headers);
    default:
      return new InternalServerError(last?.status && last.status >= 500 ? last.status : 502, b, undefined, headers);
  }
}

/** The provider's error object, whichever way it was kept (the inside of `{"error": …}`, or the whole body). */
function providerError(b: unknown, fallback: string): Body {
  const inner = typeof b === 'object' && b !== null && 'error' in b ? (b as { error: unknown }).error : b;
  if (typeof inner === 'object' && inner !== null && !Array.isArray(inner)) return inner as Body;
  return body(fallback, 'invalid_request_error', null);
}

/**
 * The SDK error for whatever the router threw; anything else (a bug, an SDK error already) is returned as is.
 */
export function toSdkError(e: unknown): unknown {
  if (!(e instanceof Error) || e instanceof APIError) return e;
  const err = e as Error & { code?: string };
  const code = err.code ?? null;
  if (isUpstreamClientError(e)) {
    return withFacts(statusError(e.status, providerError(e.body, e.message), e.headers ?? new Headers()), e);
  }
  if (isRouteUnavailableError(e)) {
    const wait = e.retryAfterMs();
    const headers = new Headers({ 'x-should-retry': 'false', ...(Number.isFinite(wait) ? { 'retry-after': String(Math.max(1, Math.ceil(wait / 1000))) } : {}) });
    return withFacts(new InternalServerError(503, body(e.message, 'server_error', code), undefined, headers), e);
  }
  if (isAllAttemptsFailedError(e)) return withFacts(lastAttemptError(e.attempts, body(e.message, 'server_error', code)), e);
  if (isDeadlineExceededError(e)) return withFacts(new APIConnectionTimeoutError({ message: e.message }), e);
  if (isRequestCancelledError(e)) return withFacts(new APIUserAbortError({ message: e.message }), e);
  if (isRouterClosedError(e)) return withFacts(new APIConnectionError({ message: e.message }), e);
  if (isUnknownRouteError(e)) return withFacts(new NotFoundError(404, body(e.message, 'invalid_request_error', 'model_not_found', 'model'), undefined, new Headers()), e);
  if (isUnsupportedOperationError(e)) return withFacts(new BadRequestError(400, body(e.message, 'invalid_request_error', code, 'model'), undefined, new Headers()), e);
  if (isInvalidRequestError(e)) return withFacts(new BadRequestError(400, body(e.message, 'invalid_request_error', code, e.param), undefined, new Headers()), e);
  if (isStreamInterruptedError(e)) return withFacts(new APIError(undefined, body(e.message, 'server_error', code), undefined, undefined), e);
  if (isLocalAttemptError(e)) return e;
  return e;
}
