import { APIConnectionError, APIConnectionTimeoutError, APIError, APIUserAbortError } from 'openai';
import type { AttemptOutcome } from './outcome.js';

/** Why an attempt's own AbortController fired: set by the router, read back here. `closed`: `router.close()`. */
export type AbortCause = 'timeout' | 'cancelled' | 'deadline' | 'closed';

/** A failed attempt, classified. `message` is written by us, never copied from upstream (it may echo a key). */
export interface Classified {
  readonly outcome: AttemptOutcome;
  readonly status?: number;
  /** `error.type` for spans: a stable, low-cardinality name. */
  readonly errorType: string;
  readonly message: string;
  /** From `Retry-After` / `retry-after-ms`, in ms, on 429 and 503. */
  readonly retryAfterMs?: number;
}

/** An answer that arrived but is unusable (empty, not JSON when JSON was asked, rejected by a validator). */
export class InvalidResponseError extends Error {
  readonly isInvalidResponseError = true;
  constructor(readonly reason: string) {
    super(reason);
    this.name = 'InvalidResponseError';
  }
}

export function outcomeForStatus(status: number): AttemptOutcome {
  if (status === 429) return 'rate_limited';
  if (status === 401 || status === 403) return 'auth_error';
  if (status === 408 || status >= 500) return 'server_error';
  if (status >= 400) return 'client_error';
  return 'invalid_response';
}

/** Parses `retry-after-ms`, or `Retry-After` as seconds or an HTTP date. */
export function parseRetryAfter(headers: Headers | undefined, now: number): number | undefined {
  if (!headers) return undefined;
  const ms = Number(headers.get('retry-after-ms'));
  if (headers.get('retry-after-ms') && Number.isFinite(ms) && ms >= 0) return ms;
  const raw = headers.get('retry-after');
  if (!raw) return undefined;
  const seconds = Number(raw);
  if (Number.isFinite(seconds)) return seconds >= 0 ? seconds * 1000 : undefined;
  const date = Date.parse(raw);
  return Number.isFinite(date) ? Math.max(0, date - now) : undefined;
}

const CONNECTION_CODES = new Set([
  'ECONNREFUSED', 'ECONNRESET', 'EPIPE', 'ENOTFOUND', 'EAI_AGAIN', 'EHOSTUNREACH', 'ENETUNREACH', 'ETIMEDOUT',
  'UND_ERR_SOCKET', 'UND_ERR_CLOSED', 'CERT_HAS_EXPIRED', 'DEPTH_ZERO_SELF_SIGNED_CERT', 'ERR_TLS_CERT_ALTNAME_INVALID',
]);

function causeCode(e: unknown): string | undefined {
  let cur: unknown = e;
  for (let i = 0; i < 5 && cur && typeof cur === 'object'; i++) {
    const code = (cur as { code?: unknown }).code;
    if (typeof code === 'string' && CONNECTION_CODES.has(code)) return code;
    cur = (cur as { cause?: unknown }).cause;
  }
  return undefined;
}

/**
 * Maps whatever an attempt threw to the SPEC's outcomes. `abortCause` is the reason the router aborted the
 * attempt, if it did: the SDK reports every abort alike, so only the router knows which it was.
 */
export function classify(error: unknown, abortCause: AbortCause | undefined, timeoutMs: number, now = Date.now()): Classified {
  if (abortCause === 'timeout') return { outcome: 'timeout', errorType: 'timeout', message: `no answer within ${timeoutMs}ms` };
  if (abortCause === 'cancelled') return { outcome: 'cancelled', errorType: 'cancelled', message: 'cancelled by the caller' };
  // Not the caller's doing: a stream cut by it ends with an error, not the quiet end of a caller's cancel.
  if (abortCause === 'closed') return { outcome: 'cancelled', errorType: 'cancelled', message: 'the router was closed' };
  // The request's deadline abandoned the attempt: the caller's budget, not the endpoint's fault.
  if (abortCause === 'deadline') return { outcome: 'cancelled', errorType: 'deadline', message: 'abandoned at the request deadline' };
  if (error instanceof InvalidResponseError) {
    return { outcome: 'invalid_response', errorType: 'invalid_response', message: error.reason };
  }
  if (error instanceof APIConnectionTimeoutError) return { outcome: 'timeout', errorType: 'timeout', message: 'connection timed out' };
  if (error instanceof APIUserAbortError) return { outcome: 'cancelled', errorType: 'cancelled', message: 'aborted' };
  if (error instanceof APIConnectionError) {
    const code = causeCode(error);
    return { outcome: 'connection_error', errorType: 'connection_error', message: code ? `connection failed (${code})` : 'connection failed' };
  }
  if (error instanceof APIError) {
    if (error.status === undefined) {
      // An error event inside an SSE stream: the provider failed mid-answer.
      return { outcome: 'server_error', errorType: 'server_error', message: 'provider sent an error event in the stream' };
    }
    const outcome = outcomeForStatus(error.status);
    const retryAfterMs = outcome === 'rate_limited' || error.status === 503 ? parseRetryAfter(error.headers, now) : undefined;
    return {
      outcome,
      status: error.status,
      errorType: String(error.status),
      message: `HTTP ${error.status}`,
      ...(retryAfterMs !== undefined ? { retryAfterMs } : {}),
    };
  }
  if (error instanceof SyntaxError) return { outcome: 'invalid_response', errorType: 'invalid_response', message: 'malformed JSON from provider' };
  const code = causeCode(error);
  if (code || (error instanceof TypeError && /terminated|fetch failed|socket/i.test(error.message))) {
    return { outcome: 'connection_error', errorType: 'connection_error', message: code ? `connection failed (${code})` : 'connection lost' };
  }
  return { outcome: 'invalid_response', errorType: 'invalid_response', message: 'unexpected failure reading the answer' };
}
