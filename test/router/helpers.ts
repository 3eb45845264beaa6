import { createRouter } from '../../src/router/router.js';
import type { Router, RouterOptions } from '../../src/router/types.js';
import type { SwitchyardConfigInput } from '../../src/config/schema.js';
import type { AttemptInfo, AttemptResult, RouterEvents } from '../../src/router/events.js';
import { startSimulator, type FaultSpec, type Simulator } from '../../src/simulator/index.js';

export interface Rig {
  router: Router;
  primary: Simulator;
  fallback: Simulator;
  attempts: { endpoint: string; outcome: string; number: number }[];
  events: { name: keyof RouterEvents; args: unknown[] }[];
  close(): Promise<void>;
}

/** A router over two simulated providers: route `chat` = primary -> fallback. */
export async function rig(opts: {
  primary?: FaultSpec;
  fallback?: FaultSpec;
  config?: Partial<SwitchyardConfigInput>;
  endpoint?: Record<string, unknown>;
  router?: RouterOptions;
}): Promise<Rig> {
  const primary = await startSimulator({ faults: opts.primary ?? {} });
  const fallback = await startSimulator({ faults: opts.fallback ?? {} });
  const config: SwitchyardConfigInput = {
    providers: {
      p1: { baseURL: primary.url, apiKey: 'sk-canary-primary-0001' },
      p2: { baseURL: fallback.url, apiKey: 'sk-canary-fallback-0002' },
    },
    endpoints: {
      primary: { provider: 'p1', model: 'model-a', timeoutMs: 10_000, ...opts.endpoint },
      fallback: { provider: 'p2', model: 'model-b', timeoutMs: 10_000 },
    },
    routes: { chat: { endpoints: ['primary', 'fallback'] } },
    breaker: { volumeThreshold: 3, resetTimeoutMs: 60_000, jitter: 0 },
    ...opts.config,
  };
  const router = createRouter(config, { transport, ...opts.router });
  const attempts: Rig['attempts'] = [];
  const events: Rig['events'] = [];
  router.events.on('attempt:end', (a: AttemptInfo, r: AttemptResult) => attempts.push({ endpoint: a.endpoint, outcome: r.outcome, number: a.number }));
  for (const name of ['request:start', 'attempt:start', 'attempt:end', 'skip', 'fallback', 'request:end', 'circuit'] as const) {
    router.events.on(name, (...args: unknown[]) => events.push({ name, args }));
  }
  return {
    router,
    primary,
    fallback,
    attempts,
    events,
    async close() {
      await router.close();
      await Promise.all([primary.close(), fallback.close()]);
    },
  };
}

/** Every test of the router runs over both ways of calling a provider. */
export const TRANSPORTS = ['sdk', 'native'] as const;
let transport: (typeof TRANSPORTS)[number] = 'sdk';
/** Call in a beforeEach of a `describe.each(TRANSPORTS)` block. */
export function useTransport(t: (typeof TRANSPORTS)[number]): void {
  transport = t;
}

export const ask = { model: 'chat', messages: [{ role: 'user' as const, content: 'hello' }] };
