/**
 * How an attempt ends. The one classification every part of Switchyard uses: the breaker decides what to
 * count from it, the router what to fall back on, metrics and traces label with it (SPEC.md).
 */
export type AttemptOutcome =
  | 'success'
  | 'server_error'
  | 'rate_limited'
  | 'auth_error'
  | 'timeout'
  | 'connection_error'
  | 'invalid_response'
  | 'quota_exhausted'
  | 'client_error'
  | 'local_error'
  | 'cancelled';

export const ATTEMPT_OUTCOMES: readonly AttemptOutcome[] = [
  'success',
  'server_error',
  'rate_limited',
  'auth_error',
  'timeout',
  'connection_error',
  'invalid_response',
  'quota_exhausted',
  'client_error',
  'local_error',
  'cancelled',
];

/** Outcomes that are nobody's fault but the request's or the caller's: never counted, never fallen back from. */
export type UncountedOutcome = 'client_error' | 'local_error' | 'cancelled';

/** Outcomes that are the endpoint's fault: they count against its circuit and are fallen back from. */
export type FailureOutcome = Exclude<AttemptOutcome, 'success' | UncountedOutcome>;

export function isFailureOutcome(o: AttemptOutcome): o is FailureOutcome {
  return o !== 'success' && o !== 'client_error' && o !== 'local_error' && o !== 'cancelled';
}

/** How a whole request ends (the `outcome` label of `switchyard_requests_total`). */
export type RequestOutcome = 'success' | 'client_error' | 'failed' | 'unavailable' | 'timeout' | 'cancelled';

export const REQUEST_OUTCOMES: readonly RequestOutcome[] = [
  'success',
  'client_error',
  'failed',
  'unavailable',
  'timeout',
  'cancelled',
];
