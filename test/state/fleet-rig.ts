import { createRouter } from '../../src/router/router.js';
import type { Router } from '../../src/router/types.js';
import type { SwitchyardConfigInput } from '../../src/config/schema.js';
import { startSimulator, type FaultSpec, type Simulator } from '../../src/simulator/index.js';

export const ask = { model: 'chat', messages: [{ role: 'user' as const, content: 'hello' }] };

export interface Fleet {
  routers: Router[];
  primary: Simulator;
  fallback: Simulator;
  close(): Promise<void>;
}

/**
 * `replicas` routers (each its own Redis connections, as separate processes would have) over two simulated
 * providers on real HTTP: route `chat` = primary -> fallback. `redisUrl` undefined: memory store, no sharing.
 */
export async function startFleet(opts: {
  replicas: number;
  redisUrl: string | undefined;
  keyPrefix?: string;
  primary?: FaultSpec;
  endpoint?: Record<string, unknown>;
  breaker?: Record<string, unknown>;
  state?: Record<string, unknown>;
}): Promise<Fleet> {
  const primary = await startSimulator({ faults: opts.primary ?? {}, name: 'primary' });
  const fallback = await startSimulator({ name: 'fallback' });
  const config: SwitchyardConfigInput = {
    providers: { p1: { baseURL: primary.url, apiKey: 'sk-fleet-primary-0001' }, p2: { baseURL: fallback.url, apiKey: 'sk-fleet-fallback-0002' } },
    endpoints: {
      primary: { provider: 'p1', model: 'model-a', timeoutMs: 1_000, ...opts.endpoint },
      fallback: { provider: 'p2', model: 'model-b', timeoutMs: 1_000 },
    },
    routes: { chat: { endpoints: ['primary', 'fallback'] } },
    breaker: { volumeThreshold: 5, errorThresholdPercentage: 50, resetTimeoutMs: 60_000, jitter: 0, ...opts.breaker },
    retry: { retries: 0 },
    ...(opts.redisUrl
      ? // A command timeout that a test machine running other suites at once does not hit: these tests are
        // about sharing, not about a slow Redis (outage.test.ts kills it instead).
        { state: { store: 'redis' as const, url: opts.redisUrl, keyPrefix: opts.keyPrefix ?? 'sy-test', syncIntervalMs: 200, commandTimeoutMs: 250, ...opts.state } }
      : {}),
  };
  const routers = Array.from({ length: opts.replicas }, () => createRouter(config, { transport: 'native' }));
  return {
    routers,
    primary,
    fallback,
    async close() {
      await Promise.all(routers.map((r) => r.close()));
      await Promise.all([primary.close(), fallback.close()]);
    },
  };
}

/** Every router's store answered once (its first full read is done). */
export function allUp(routers: Router[]): boolean {
  return routers.every((r) => r.stateStatus?.()?.up === true);
}

export function circuit(r: Router, endpoint = 'primary') {
  return r.circuits().find((c) => c.endpoint === endpoint)!;
}
