import { APIError } from 'openai';
import type { ChatCompletion, ChatCompletionCreateParams } from 'openai/resources/chat/completions';
import { classify, InvalidResponseError } from '../endpoint/classify.js';
import { JsonAnswer } from '../endpoint/transport.js';
import { validateCompletion, type ValidationRules } from '../endpoint/validate.js';
import type { AttemptRunner } from './request-run.js';
import type { ResponseValidator } from './types.js';

export interface CompleteContext {
  readonly params: ChatCompletionCreateParams;
  readonly headers?: Record<string, string> | undefined;
  readonly rules: ValidationRules;
  readonly validator?: ResponseValidator | undefined;
  readonly route: string;
  /** Scrubs configured secrets from text a provider sent back. */
  readonly scrub: (text: string) => string;
  readonly now: () => number;
}

async function runValidator(v: ResponseValidator, completion: ChatCompletion, ctx: CompleteContext, endpoint: string): Promise<void> {
  let reason: string | undefined | void;
  try {
    reason = await v(completion, { route: ctx.route, endpoint, params: ctx.params });
  } catch (e) {
    reason = e instanceof Error ? e.message : String(e);
  }
  if (typeof reason === 'string') throw new InvalidResponseError(`rejected by validator: ${reason.slice(0, 200)}`);
}

/** A plain (non-streaming) attempt: call, validate, and report how it went. Never throws. */
export function completeRunner(ctx: CompleteContext): AttemptRunner<ChatCompletion> {
  return async (endpoint, attempt, scope) => {
    const started = ctx.now();
    scope.arm(endpoint.spec.timeoutMs);
    try {
      const raw = await endpoint.complete(ctx.params, scope, attemptHeaders(ctx.headers, attempt.headers));
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
      const classified = classify(e, scope.abortCause, endpoint.spec.timeoutMs, ctx.now());
      // A 4xx goes back to the caller as the provider said it (scrubbed: some providers echo a masked key).
      const body = classified.outcome === 'client_error' && e instanceof APIError ? scrubBody(e.error, ctx.scrub) : undefined;
      return { kind: 'failed', classified, durationMs: ctx.now() - started, ...(body !== undefined ? { body } : {}) };
    }
  };
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
