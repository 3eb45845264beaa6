import { APIError } from 'openai';
import type { ChatCompletion, ChatCompletionCreateParams } from 'openai/resources/chat/completions';
import { classify, InvalidResponseError, type Classified } from '../endpoint/classify.js';
import type { SerializedBody } from '../endpoint/serialized-body.js';
import { JsonAnswer } from '../endpoint/transport.js';
import { validateCompletion, type ValidationRules } from '../endpoint/validate.js';
import type { AttemptRun, AttemptRunner } from './request-run.js';
import type { ResponseValidator } from './types.js';

export interface CompleteContext {
  readonly params: ChatCompletionCreateParams;
  /** `params` serialised once for the whole request. */
  readonly serialized: SerializedBody;
  readonly headers?: Record<string, string> | undefined;
  readonly rules: ValidationRules;
  readonly validator?: ResponseValidator | undefined;
  readonly route: string;
  /** Scrubs configured secrets from text a provider sent back. */
  readonly scrub: (text: string) => string;
  readonly now: () => number;
}

/** A validator that throws has a bug: its error is the caller's to see (`local_error`), not the provider's fault. */
class ValidatorFailure {
  constructor(readonly cause: unknown) {}
}

async function runValidator(v: ResponseValidator, completion: ChatCompletion, ctx: CompleteContext, endpoint: string): Promise<void> {
  let reason: string | undefined | void;
  try {
    reason = await v(completion, { route: ctx.route, endpoint, params: ctx.params });
  } catch (e) {
    throw new ValidatorFailure(e);
  }
  if (typeof reason === 'string') throw new InvalidResponseError(`rejected by validator: ${reason.slice(0, 200)}`);
}

/** A plain (non-streaming) attempt: call, validate, and report how it went. Never throws. */
export function completeRunner(ctx: CompleteContext): AttemptRunner<ChatCompletion> {
  return async (endpoint, attempt, scope) => {
    const started = ctx.now();
    scope.arm(endpoint.spec.timeoutMs);
    try {
      const raw = await endpoint.complete(ctx.params, scope, attemptHeaders(ctx.headers, attempt.headers), ctx.serialized);
      const answer = raw instanceof JsonAnswer ? raw : undefined;
      const completion = validateCompletion(answer ? answer.value : raw, ctx.params, ctx.rules);
      if (ctx.validator) await runValidator(ctx.validator, completion, ctx, endpoint.spec.id);
      return {
        kind: 'done',
        value: completion,
        bytes: answer?.bytes,
        result: {
          outcome: 'success',
          durationMs: ctx.now() - started,
          ...(completion.model ? { responseModel: completion.model } : {}),
          ...(completion.usage ? { inputTokens: completion.usage.prompt_tokens, outputTokens: completion.usage.completion_tokens } : {}),
        },
      };
    } catch (e) {
      const durationMs = ctx.now() - started;
      if (e instanceof ValidatorFailure) {
        const message = 'the response validator threw';
        return { kind: 'failed', classified: { outcome: 'local_error', blame: 'request', errorType: 'validator_threw', message }, durationMs, cause: e.cause };
      }
      return failedRun(e, classify(e, scope.abortCause, endpoint.spec.timeoutMs, ctx.now(), scope.evidence()), durationMs, ctx.scrub);
    }
  };
}

/**
 * A failed attempt as the walk wants it. The provider's error object goes along when the caller may get it
 * back (a 4xx, or an unclear failure every endpoint may share), scrubbed: some providers echo a masked key.
 */
export function failedRun(error: unknown, classified: Classified, durationMs: number, scrub: (text: string) => string): AttemptRun<never> {
  const body = classified.blame !== 'endpoint' && classified.body !== undefined ? scrubBody(classified.body, scrub) : undefined;
  const cause = classified.outcome === 'local_error' ? { cause: error } : {};
  // With the provider's headers, which the library hands back on the SDK error (rate-limit and request ids).
  const headers = body !== undefined && error instanceof APIError && error.headers ? { headers: error.headers } : {};
  return { kind: 'failed', classified, durationMs, ...(body !== undefined ? { body } : {}), ...cause, ...headers };
}

function scrubBody(body: unknown, scrub: (text: string) => string): unknown {
  if (body === undefined) return undefined;
  try {
    return JSON.parse(scrub(JSON.stringify(body)));
  } catch {
    return undefined;
  }
}

/** The caller's headers plus what subscribers added for this attempt (trace context); undefined when none. */
export function attemptHeaders(caller: Record<string, string> | undefined, added: Record<string, string>): Record<string, string> | undefined {
  if (Object.keys(added).length === 0) return caller;
  return { ...caller, ...added };
}
