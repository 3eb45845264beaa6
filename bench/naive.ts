import OpenAI from 'openai';
import type { ChatCompletion, ChatCompletionCreateParamsNonStreaming } from 'openai/resources/chat/completions';

/*
 * The pattern Switchyard replaces, as most code writes it: call the primary model; on an exception or an
 * empty answer, call the secondary. Two openai clients, the SDK's defaults apart from the timeout (its
 * default is 10 minutes, which no one keeps in production): `maxRetries` stays at the SDK's default of 2,
 * with its backoff and its Retry-After handling. A second variant sets `maxRetries: 0` (the best case for
 * the pattern: no blind retries).
 */

export interface NaiveOptions {
  primaryURL: string;
  secondaryURL: string;
  /** Per-call timeout, the same as Switchyard's endpoint `timeoutMs`. */
  timeoutMs: number;
  /** undefined = the SDK default (2). */
  maxRetries?: number;
  /** Observation only: counts the upstream calls, including those to a port that refuses connections. */
  fetch?: typeof fetch;
}

export interface Naive {
  create(params: ChatCompletionCreateParamsNonStreaming): Promise<{ completion: ChatCompletion; answeredBy: 'primary' | 'secondary' }>;
}

export function createNaive(o: NaiveOptions): Naive {
  const common = {
    timeout: o.timeoutMs,
    ...(o.maxRetries !== undefined ? { maxRetries: o.maxRetries } : {}),
    ...(o.fetch ? { fetch: o.fetch } : {}),
  };
  const primary = new OpenAI({ baseURL: o.primaryURL, apiKey: 'sk-naive-primary', ...common });
  const secondary = new OpenAI({ baseURL: o.secondaryURL, apiKey: 'sk-naive-secondary', ...common });
  return {
    async create(params) {
      try {
        const completion = await primary.chat.completions.create(params);
        if (!completion.choices[0]?.message?.content) throw new Error('empty answer');
        return { completion, answeredBy: 'primary' };
      } catch {
        const completion = await secondary.chat.completions.create(params);
        return { completion, answeredBy: 'secondary' };
      }
    },
  };
}
