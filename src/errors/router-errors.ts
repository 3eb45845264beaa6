import type { AttemptOutcome } from '../endpoint/outcome.js';
import { markerGuard, SwitchyardError } from './base.js';

/** What the caller learns about one attempt. Never includes a key, a prompt or an upstream body. */
export interface AttemptRecord {
  readonly endpoint: string;
  readonly outcome: AttemptOutcome;
  /** Upstream HTTP status, when there was one. */
  readonly status?: number;
  readonly durationMs: number;
  /** A short, key-free description of what went wrong. */
  readonly message?: string;
}

/**
 * The route has no endpoint that can take this request: none serves its operation (`operations`), or the
 * conversation it continues (`previous_response_id`) is held by a provider none of its endpoints uses.
 * Nothing was sent; the request is the caller's to change.
 */
export class UnsupportedOperationError extends SwitchyardError {
  readonly code = 'operation_not_supported';
  readonly isUnsupportedOperationError = true;
  constructor(
    readonly route: string,
    readonly operation: string,
    message?: string,
  ) {
    super(message ?? `route '${route}' has no endpoint that serves ${operation}`);
    this.name = 'UnsupportedOperationError';
  }
}
export const isUnsupportedOperationError = markerGuard<UnsupportedOperationError>('isUnsupportedOperationError');

/** The `model` named neither a route nor an endpoint. */
export class UnknownRouteError extends SwitchyardError {
  readonly code = 'unknown_route';
  readonly isUnknownRouteError = true;
  constructor(readonly route: string) {
    super(`unknown model or route '${route}'`);
    this.name = 'UnknownRouteError';
  }
}
export const isUnknownRouteError = markerGuard<UnknownRouteError>('isUnknownRouteError');

/** How a RouteUnavailableError's message names each reason an endpoint was skipped for (`SkipReason`). */
const SKIP_TEXT: Record<string, string> = {
  open: 'circuit open',
  half_open_busy: 'circuit half-open, its probe in flight',
  retry_after: 'inside its Retry-After',
  saturated: 'at its maxConcurrent attempts in flight',
  unresponsive: 'sent nothing to the callers who gave up on it, and this request cannot wait out its timeout',
  unsupported: 'does not serve this operation',
  other_provider: "another provider holds the conversation's previous_response_id",
};

/**
 * Every endpoint of the route was skipped (open circuit, Retry-After, or at its maxConcurrent): failed fast,
 * nothing was sent.
 */
export class RouteUnavailableError extends SwitchyardError {
  readonly code = 'route_unavailable';
  readonly isRouteUnavailableError = true;
  constructor(
    readonly route: string,
    /** Epoch ms when the earliest endpoint of the route admits traffic again (its half-open probe). */
    readonly retryAt: number,
    readonly attempts: readonly AttemptRecord[] = [],
    /** Each endpoint skipped, and why (`SkipReason`: open, half_open_busy, retry_after, saturated). */
    readonly skipped: readonly { readonly endpoint: string; readonly reason: string }[] = [],
  ) {
    const why = skipped.length ? skipped.map((s) => `${s.endpoint}: ${SKIP_TEXT[s.reason] ?? s.reason}`).join('; ') : 'circuit open';
    // Infinite: held open by an operator, there is no time at which it will take traffic by itself.
    const when = Number.isFinite(retryAt) ? `earliest retry at ${new Date(retryAt).toISOString()}` : 'no retry time (held open by an operator)';
    super(`every endpoint of route '${route}' is unavailable (${why}); ${when}`);
    this.name = 'RouteUnavailableError';
  }
  /** Milliseconds from `now` until the next probe, never negative; Infinity when none is scheduled. */
  retryAfterMs(now = Date.now()): number {
    return Math.max(0, this.retryAt - now);
  }
}
export const isRouteUnavailableError = markerGuard<RouteUnavailableError>('isRouteUnavailableError');

function describe(attempts: readonly AttemptRecord[]): string {
  return attempts
    .map((a) => `${a.endpoint}: ${a.outcome}${a.status ? ` (${a.status})` : ''} after ${Math.round(a.durationMs)}ms`)
    .join('; ');
}

/** Every attempt the route could make failed. `attempts` lists each, in order. */
export class AllAttemptsFailedError extends SwitchyardError {
  readonly code = 'all_attempts_failed';
  readonly isAllAttemptsFailedError = true;
  constructor(
    readonly route: string,
    readonly attempts: readonly AttemptRecord[],
  ) {
    super(`every attempt for route '${route}' failed: ${describe(attempts)}`);
    this.name = 'AllAttemptsFailedError';
  }
}
export const isAllAttemptsFailedError = markerGuard<AllAttemptsFailedError>('isAllAttemptsFailedError');

/** The request deadline passed before any endpoint answered. */
export class DeadlineExceededError extends SwitchyardError {
  readonly code = 'deadline_exceeded';
  readonly isDeadlineExceededError = true;
  constructor(
    readonly route: string,
    readonly deadlineMs: number,
    readonly attempts: readonly AttemptRecord[],
  ) {
    super(`route '${route}' did not answer within its ${deadlineMs}ms deadline${attempts.length ? `: ${describe(attempts)}` : ''}`);
    this.name = 'DeadlineExceededError';
  }
}
export const isDeadlineExceededError = markerGuard<DeadlineExceededError>('isDeadlineExceededError');

/** The caller aborted the request (its AbortSignal fired, or it stopped reading a stream). */
export class RequestCancelledError extends SwitchyardError {
  readonly code = 'cancelled';
  readonly isRequestCancelledError = true;
  constructor(readonly route: string) {
    super(`request for route '${route}' was cancelled by the caller`);
    this.name = 'RequestCancelledError';
  }
}
export const isRequestCancelledError = markerGuard<RequestCancelledError>('isRequestCancelledError');

/** `router.close()` was called: before this request (nothing was sent), or while it was under way (it was cut). */
export class RouterClosedError extends SwitchyardError {
  readonly code = 'router_closed';
  readonly isRouterClosedError = true;
  constructor(readonly route: string) {
    super(`the router was closed${route ? ` (request for route '${route}')` : ''}`);
    this.name = 'RouterClosedError';
  }
}
export const isRouterClosedError = markerGuard<RouterClosedError>('isRouterClosedError');

/**
 * The request itself is wrong (upstream 400/404/413/422): returned to the caller as is, never fallen back
 * from. `status` and `body` are the upstream's (the body is the provider's error object, which carries no key).
 */
export class UpstreamClientError extends SwitchyardError {
  readonly code = 'upstream_client_error';
  readonly isUpstreamClientError = true;
  constructor(
    readonly route: string,
    readonly endpoint: string,
    readonly status: number,
    message: string,
    readonly body: unknown,
    /** The provider's response headers, when the transport kept them. */
    readonly headers?: Headers,
  ) {
    super(message);
    this.name = 'UpstreamClientError';
  }
}
export const isUpstreamClientError = markerGuard<UpstreamClientError>('isUpstreamClientError');

/** A stream failed after its first content chunk reached the caller: it ends here, never glued to another model. */
export class StreamInterruptedError extends SwitchyardError {
  readonly code = 'stream_interrupted';
  readonly isStreamInterruptedError = true;
  constructor(
    readonly route: string,
    readonly endpoint: string,
    readonly outcome: AttemptOutcome,
    message: string,
  ) {
    super(`stream from '${endpoint}' broke after it started (${outcome}): ${message}`);
    this.name = 'StreamInterruptedError';
  }
}
export const isStreamInterruptedError = markerGuard<StreamInterruptedError>('isStreamInterruptedError');

/**
 * The request cannot be sent as given: a body JSON cannot carry (a BigInt, a cycle, nesting too deep), a
 * per-call header with a line break, an option out of range. Found before any endpoint was tried: nothing was
 * sent, no circuit is touched. The gateway answers it with a 400.
 */
export class InvalidRequestError extends SwitchyardError {
  readonly code = 'invalid_request';
  readonly isInvalidRequestError = true;
  constructor(
    readonly route: string,
    message: string,
    /** The offending parameter or option, when one is at fault. */
    readonly param: string | null = null,
  ) {
    super(message);
    this.name = 'InvalidRequestError';
  }
}
export const isInvalidRequestError = markerGuard<InvalidRequestError>('isInvalidRequestError');

/**
 * An attempt failed on this side, by no fault of the provider's (`local_error`): a validator that threw, or a
 * failure the classifier does not know. Never counted against a circuit, never fallen back from: it is a bug
 * to report, and `cause` holds what was thrown.
 */
export class LocalAttemptError extends SwitchyardError {
  readonly code = 'local_error';
  readonly isLocalAttemptError = true;
  constructor(
    readonly route: string,
    readonly endpoint: string,
    message: string,
    options?: { cause?: unknown },
  ) {
    super(message, options);
    this.name = 'LocalAttemptError';
  }
}
export const isLocalAttemptError = markerGuard<LocalAttemptError>('isLocalAttemptError');
