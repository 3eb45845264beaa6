import { createRouter } from '../../src/router/router.js';
import type { Router } from '../../src/router/types.js';
import type { SwitchyardConfigInput } from '../../src/config/schema.js';
import type { AttemptInfo, AttemptResult } from '../../src/router/events.js';
import { startSimulator, type FaultSpec, type Simulator } from '../../src/simulator/index.js';

export const KEYS = { openai: 'sk-openai-canary-0001', anthropic: 'sk-ant-canary-0002', gemini: 'gem-canary-key-0003', azure: 'az-canary-key-0004' };

export interface ProviderRig {
  router: Router;
  sim: Simulator;
  fallback: Simulator;
  attempts: { endpoint: string; outcome: string; errorType?: string | undefined }[];
  /** Endpoints passed over without an attempt, and why. */
  skips: { endpoint: string; reason: string }[];
  close(): Promise<void>;
}

/**
 * A router whose route `chat` is one endpoint of `type` on a simulator (which checks the type's key
 * header), then an OpenAI fallback on another simulator.
 */
export async function providerRig(
  type: 'anthropic' | 'gemini' | 'azure' | 'azure-v1',
  opts: { faults?: FaultSpec; fallback?: FaultSpec; model?: string; config?: Partial<SwitchyardConfigInput>; transport?: 'sdk' | 'native' } = {},
): Promise<ProviderRig> {
  const key = type.startsWith('azure') ? KEYS.azure : KEYS[type as 'anthropic' | 'gemini'];
  const sim = await startSimulator({ faults: opts.faults ?? {}, requireApiKey: key, name: type });
  const fallback = await startSimulator({ faults: opts.fallback ?? {}, requireApiKey: KEYS.openai, name: 'openai' });
  const provider =
    type === 'anthropic'
      ? { type: 'anthropic' as const, baseURL: sim.url, apiKey: key }
      : type === 'gemini'
        ? { type: 'gemini' as const, baseURL: sim.geminiUrl, apiKey: key }
        : { type: 'azure' as const, baseURL: sim.azureUrl, apiKey: key, ...(type === 'azure' ? { apiVersion: '2024-10-21' } : {}) };
  const config: SwitchyardConfigInput = {
    providers: { native: provider, openai: { baseURL: fallback.url, apiKey: KEYS.openai } },
    endpoints: {
      native: { provider: 'native', model: opts.model ?? 'the-model', timeoutMs: 10_000 },
      fallback: { provider: 'openai', model: 'gpt-4o-mini', timeoutMs: 10_000 },
    },
    routes: { chat: { endpoints: ['native', 'fallback'] } },
    breaker: { volumeThreshold: 3, resetTimeoutMs: 60_000, jitter: 0 },
    ...opts.config,
  };
  const router = createRouter(config, { transport: opts.transport ?? 'native' });
  const attempts: ProviderRig['attempts'] = [];
  router.events.on('attempt:end', (a: AttemptInfo, r: AttemptResult) => attempts.push({ endpoint: a.endpoint, outcome: r.outcome, ...(r.errorType ? { errorType: r.errorType } : {}) }));
  const skips: ProviderRig['skips'] = [];
  router.events.on('skip', (_req, endpoint, reason) => skips.push({ endpoint, reason }));
  return {
    router,
    sim,
    fallback,
    attempts,
    skips,
    async close() {
      await router.close();
      await Promise.all([sim.close(), fallback.close()]);
    },
  };
}

export async function collect(stream: AsyncIterable<{ choices: { delta?: { content?: string | null; tool_calls?: unknown[] }; finish_reason?: string | null }[]; usage?: unknown; model: string }>) {
  let text = '';
  const finishes: string[] = [];
  const toolCalls: unknown[] = [];
  let usage: unknown;
  let model = '';
  try {
    for await (const c of stream) {
      model = c.model;
      for (const ch of c.choices) {
        text += ch.delta?.content ?? '';
        if (ch.delta?.tool_calls) toolCalls.push(...ch.delta.tool_calls);
        if (ch.finish_reason) finishes.push(ch.finish_reason);
      }
      if (c.usage) usage = c.usage;
    }
  } catch (error) {
    return { text, finishes, toolCalls, usage, model, error };
  }
  return { text, finishes, toolCalls, usage, model, error: undefined as unknown };
}
