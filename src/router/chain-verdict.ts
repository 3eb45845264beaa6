import type { Classified } from '../endpoint/classify.js';
import type { RequestOutcome } from '../endpoint/outcome.js';
import { AllAttemptsFailedError, RouteUnavailableError, UpstreamClientError, type AttemptRecord } from '../errors/router-errors.js';
import { INELIGIBLE_SKIPS, type SkipReason } from './events.js';

/** What a request learned walking its chain without being answered. */
export interface ChainWalked {
  readonly route: string;
  readonly attempts: readonly AttemptRecord[];
  readonly skipped: readonly { endpoint: string; reason: SkipReason; retryAt: number }[];
  /** The first endpoint that could never take the request as asked (Transport.refusal), and why. */
  readonly refusal: { endpoint: string; error: Error } | undefined;
  /** The first unclear failure that came with the provider's own error. */
  readonly unclear: { endpoint: string; classified: Classified; body: unknown; headers?: Headers | undefined } | undefined;
  /** Whether any failure was the endpoint's for sure. */
  readonly endpointFault: boolean;
  readonly now: number;
}

/**
 * How a request that found no answer anywhere ends, and what its caller is told: the caller's to change when
 * no endpoint could take it as asked (400) or when every attempt met the same unclear trouble (the provider's
 * own error); unavailable when nothing was tried (503, with when to come back); otherwise all attempts failed.
 */
export function chainVerdict(w: ChainWalked): { outcome: RequestOutcome; error: Error } {
  if (w.attempts.length === 0) {
    const refused = w.refusal;
    if (refused && w.skipped.every((s) => INELIGIBLE_SKIPS.includes(s.reason))) {
      const error = new UpstreamClientError(w.route, refused.endpoint, 400, refused.error.message, (refused.error as { body?: unknown }).body);
      return { outcome: 'client_error', error };
    }
    const earliestRetry = w.skipped.length ? Math.min(...w.skipped.map((s) => s.retryAt)) : w.now;
    return { outcome: 'unavailable', error: new RouteUnavailableError(w.route, earliestRetry, [], w.skipped) };
  }
  if (!w.endpointFault && w.unclear) {
    const u = w.unclear;
    // An error event inside a 200 stream has no status of its own: a client type reads as OpenAI's 400.
    return { outcome: 'client_error', error: new UpstreamClientError(w.route, u.endpoint, u.classified.status ?? 400, u.classified.message, u.body, u.headers) };
  }
  return { outcome: 'failed', error: new AllAttemptsFailedError(w.route, w.attempts) };
}
