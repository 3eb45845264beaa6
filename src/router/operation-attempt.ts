import { classify } from '../endpoint/classify.js';
import type { Endpoint } from '../endpoint/endpoint.js';
import type { OperationClient } from '../endpoint/operation-client.js';
import type { ValidationRules } from '../endpoint/validate.js';
import type { AttemptResult } from './events.js';
import type { AttemptRunner } from './request-run.js';
import type { AttemptScope } from './scope.js';
import { attemptHeaders, failedRun } from './complete-attempt.js';

/** What the runners of the operations other than chat share, per request. */
export interface OperationContext {
  readonly headers?: Record<string, string> | undefined;
  readonly rules: ValidationRules;
  readonly route: string;
  /** Scrubs configured secrets from text a provider sent back. */
  readonly scrub: (text: string) => string;
  readonly now: () => number;
  /** The provider's client for these operations. */
  readonly client: (provider: string) => OperationClient;
}

/** One call to the endpoint's provider with the endpoint's model, and the answer as parsed. */
export type OperationCall = (client: OperationClient, endpoint: Endpoint, scope: AttemptScope, headers: Record<string, string> | undefined) => Promise<unknown>;

/** Checks an answer (throwing InvalidResponseError) and says what the attempt's telemetry reports of it. */
export type OperationCheck<T> = (value: unknown) => { value: T; result?: Partial<Pick<AttemptResult, 'responseModel' | 'inputTokens' | 'outputTokens'>> };

/**
 * A plain (non-streaming) attempt of another operation than chat: as completeRunner does for chat, call,
 * check, and report how it went; a failure the caller may get back keeps the provider's error object
 * (scrubbed), a client_error its headers too. Never throws.
 */
export function operationRunner<T>(ctx: OperationContext, call: OperationCall, check: OperationCheck<T>, onAnswer?: (value: T, endpoint: Endpoint) => void): AttemptRunner<T> {
  return async (endpoint, attempt, scope) => {
    const started = ctx.now();
    scope.arm(endpoint.spec.timeoutMs);
    try {
      const raw = await call(ctx.client(endpoint.spec.provider), endpoint, scope, attemptHeaders(ctx.headers, attempt.headers));
      const { value, result } = check(raw);
      onAnswer?.(value, endpoint);
      return { kind: 'done', value, result: { outcome: 'success', durationMs: ctx.now() - started, ...result } };
    } catch (e) {
      const classified = classify(e, scope.abortCause, endpoint.spec.timeoutMs, ctx.now(), scope.evidence());
      return failedRun(e, classified, ctx.now() - started, ctx.scrub);
    }
  };
}
