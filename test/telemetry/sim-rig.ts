import type { SwitchyardConfigInput } from '../../src/config/schema.js';
import { createRouter } from '../../src/router/router.js';
import type { Router } from '../../src/router/types.js';
import { startSimulator, type Simulator } from '../../src/simulator/index.js';

/*
 * A real router over three simulated providers, on route `chat` = [skipped, broken, slow, good]: the test
 * forces `skipped` open, `broken` answers 503, `slow` hangs past its 300 ms timeout, `good` answers. So one
 * request makes three attempts (two fallbacks) after one skip, over real HTTP.
 */
export interface SimRig {
  router: Router;
  good: Simulator;
  broken: Simulator;
  slow: Simulator;
  config: SwitchyardConfigInput;
  close(): Promise<void>;
}

export async function simRig(): Promise<SimRig> {
  const [good, broken, slow] = await Promise.all([
    startSimulator({ name: 'good', faults: { firstTokenDelayMs: 30 } }),
    startSimulator({ name: 'broken', faults: { always: { kind: 'status', status: 503 } } }),
    startSimulator({ name: 'slow', faults: { always: { kind: 'hang' } } }),
  ]);
  const config: SwitchyardConfigInput = {
    providers: {
      pgood: { baseURL: good.url, apiKey: 'sk-canary-good-0001' },
      pbroken: { baseURL: broken.url, apiKey: 'sk-canary-broken-0002' },
      pslow: { baseURL: slow.url, apiKey: 'sk-canary-slow-0003' },
    },
    endpoints: {
      skipped: { provider: 'pgood', model: 'model-skipped' },
      broken: { provider: 'pbroken', model: 'model-broken' },
      slow: { provider: 'pslow', model: 'model-slow', timeoutMs: 300 },
      good: { provider: 'pgood', model: 'model-good' },
    },
    routes: { chat: { endpoints: ['skipped', 'broken', 'slow', 'good'] } },
    // Never trip on its own during a test: only the forced circuit is open.
    breaker: { volumeThreshold: 1000, resetTimeoutMs: 60_000, jitter: 0 },
  };
  const router = createRouter(config);
  return {
    router,
    good,
    broken,
    slow,
    config,
    async close() {
      await router.close();
      await Promise.all([good.close(), broken.close(), slow.close()]);
    },
  };
}

export const ask = { model: 'chat', messages: [{ role: 'user' as const, content: 'hello there' }] };
