import type { ServerResponse } from 'node:http';
import type { Logger } from 'pino';
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
  type AttemptRecord,
} from '../errors/router-errors.js';

/*
 * The one place that turns what went wrong into what the caller sees. Every body is OpenAI-shaped so the
 * SDKs in every language raise their usual typed errors. Messages are built from Switchyard's own key-free
 * error texts; anything unrecognised becomes a bland 500 so an unexpected exception cannot leak internals.
 */

export type OpenAIErrorType =
  | 'invalid_request_error'
  | 'authentication_error'
  | 'permission_error'
  | 'not_found_error'
  | 'server_error';

export interface OpenAIErrorBody {
  error: {
    message: string;
    type: OpenAIErrorType | string;
    code: string | null;
    param?: string | null;
    /** Switchyard extra on 502/503/504: what each attempt did (endpoint, outcome, status, duration). */
    attempts?: readonly AttemptRecord[];
  };
}

export interface MappedError {
  status: number;
  body: OpenAIErrorBody | Record<string, unknown>;
  headers: Record<string, string>;
  /** The caller went away: there is nobody to answer. */
  cancelled?: boolean;
}

export class HttpError extends Error {
  constructor(
    readonly status: number,
    readonly type: OpenAIErrorType,
    readonly code: string,
    message: string,
    readonly param?: string,
    readonly headers: Record<string, string> = {},
  ) {
    super(message);
    this.name = 'HttpError';
  }
}

/** OpenAI's own order and fields: `param` is always there, null when no one parameter is at fault. */
export function errorBody(message: string, type: OpenAIErrorType, code: string | null, param?: string): OpenAIErrorBody {
  return { error: { message, type, param: param ?? null, code } };
}

/** Only these fields of an attempt record go out: a record built elsewhere may grow fields we never vetted. */
function publicAttempts(attempts: readonly AttemptRecord[]): AttemptRecord[] {
  return attempts.map((a) => ({
    endpoint: a.endpoint,
    outcome: a.outcome,
    ...(a.status !== undefined ? { status: a.status } : {}),
    durationMs: Math.round(a.durationMs),
  }));
}

/**
 * The header that tells the openai SDKs (Python and Node honour it) not to retry an answer: the gateway has
 * already run its retry policy and fallbacks (502, 504) or failed fast because nothing can answer (503), so
 * a client retrying on top would only multiply the load on upstreams that are already failing.
 */
const NO_RETRY = { 'x-should-retry': 'false' } as const;

/**
 * `noRetry` (server.shouldRetryHeader, default true) adds `x-should-retry: false` to the 502, 503 and 504
 * answers the router produced after its own retries or its fail-fast.
 */
export function mapError(e: unknown, now = Date.now(), noRetry = true): MappedError {
  const final = (headers: Record<string, string>) => (noRetry ? { ...headers, ...NO_RETRY } : headers);
  if (e instanceof HttpError) {
    return { status: e.status, body: errorBody(e.message, e.type, e.code, e.param), headers: e.headers };
  }
  if (isUnknownRouteError(e)) {
    return { status: 404, body: errorBody(e.message, 'invalid_request_error', e.code, 'model'), headers: {} };
  }
  if (isUnsupportedOperationError(e)) {
    return { status: 400, body: errorBody(e.message, 'invalid_request_error', e.code, 'model'), headers: {} };
  }
  if (isRouteUnavailableError(e)) {
    const wait = e.retryAfterMs(now);
    const body = errorBody(e.message, 'server_error', e.code);
    if (e.attempts.length) body.error.attempts = publicAttempts(e.attempts);
    // A circuit held open by an operator has no probe time: no Retry-After rather than one it will never keep.
    const headers: Record<string, string> = Number.isFinite(wait) ? { 'retry-after': String(Math.max(1, Math.ceil(wait / 1000))) } : {};
    return { status: 503, body, headers: final(headers) };
  }
  if (isAllAttemptsFailedError(e)) {
    const body = errorBody(e.message, 'server_error', e.code);
    body.error.attempts = publicAttempts(e.attempts);
    return { status: 502, body, headers: final({}) };
  }
  if (isDeadlineExceededError(e)) {
    const body = errorBody(e.message, 'server_error', e.code);
    body.error.attempts = publicAttempts(e.attempts);
    return { status: 504, body, headers: final({}) };
  }
  if (isUpstreamClientError(e)) {
    // The caller's request is wrong: hand back the provider's own verdict, status and body as is.
    // The router keeps the provider's error object (the SDK's `APIError.error`: the inside of `{"error": ...}`);
    // a whole body is accepted too.
    const upstream = e.body;
    const isObject = typeof upstream === 'object' && upstream !== null && !Array.isArray(upstream);
    const body = !isObject
      ? errorBody(e.message, 'invalid_request_error', e.code)
      : 'error' in upstream
        ? (upstream as Record<string, unknown>)
        : { error: upstream as Record<string, unknown> };
    return { status: e.status, body, headers: {} };
  }
  if (isInvalidRequestError(e)) {
    return { status: 400, body: errorBody(e.message, 'invalid_request_error', e.code, e.param ?? undefined), headers: {} };
  }
  if (isLocalAttemptError(e)) {
    // Ours, not the provider's and not the caller's: a bug to report, with the gateway's own words.
    return { status: 500, body: errorBody(e.message, 'server_error', e.code), headers: {} };
  }
  if (isStreamInterruptedError(e)) {
    return { status: 502, body: errorBody(e.message, 'server_error', e.code), headers: final({}) };
  }
  // The gateway is shutting down: a request it could not finish in the grace period is the server's, not the caller's.
  if (isRouterClosedError(e)) {
    return { status: 503, body: errorBody('the gateway is shutting down', 'server_error', e.code), headers: {} };
  }
  if (isRequestCancelledError(e)) {
    return { status: 499, body: errorBody(e.message, 'invalid_request_error', e.code), headers: {}, cancelled: true };
  }
  return { status: 500, body: errorBody('internal error', 'server_error', 'internal_error'), headers: {} };
}

/**
 * The request's own fault as express or its router reports it (a 4xx `status` on the error, as for a path
 * parameter that is not valid percent-encoding): a 400-class answer rather than a bug's 500. The message is
 * our own: theirs quotes the request.
 */
export function clientFault(err: unknown): HttpError | undefined {
  if (!(err instanceof Error) || err instanceof HttpError) return undefined;
  const status = (err as { status?: unknown }).status;
  if (typeof status !== 'number' || status < 400 || status > 499) return undefined;
  const message = err instanceof URIError ? 'the request path is not valid percent-encoding' : 'bad request';
  return new HttpError(status, 'invalid_request_error', 'invalid_request', message);
}

export const JSON_CONTENT_TYPE = 'application/json; charset=utf-8';

/** Writes the mapped error as the whole answer, unless the caller is gone or the answer has already begun. */
export function sendError(res: ServerResponse, mapped: MappedError, scrub: (text: string) => string = (t) => t): void {
  if (mapped.cancelled || res.headersSent || res.destroyed) return;
  const text = scrub(JSON.stringify(mapped.body));
  res.writeHead(mapped.status, { ...mapped.headers, 'content-type': JSON_CONTENT_TYPE, 'content-length': Buffer.byteLength(text) });
  res.end(text);
}

/**
 * Answers with whatever went wrong outside a router call (a bad body, a missing key, no such path, a bug).
 * Returns what was sent, for the request log.
 */
export function errorResponder(logger: Logger, scrub: (text: string) => string): (res: ServerResponse, err: unknown) => MappedError {
  return (res, err) => {
    const mapped = mapError(err);
    if (mapped.status >= 500) {
      const name = err instanceof Error ? err.name : typeof err;
      const message = err instanceof Error ? scrub(err.message) : undefined;
      logger.error({ err: { name, message } }, 'unhandled error');
    }
    sendError(res, mapped, scrub);
    return mapped;
  };
}
