import type { SwitchyardConfigInput } from '../config/index.js';
import type { Router } from '../router/types.js';
import { startSimulator, type FaultSpec, type Simulator } from '../simulator/index.js';

/*
 * The no-account demo behind `npm start`: two simulated upstreams in-process, a primary that goes through
 * an outage every 30 s (alternately erroring and hanging, so both failure shapes show up) and a healthy
 * fallback, with breaker timings short enough that circuits trip and recover within a minute. A trickle of
 * background traffic keeps the breaker fed, since a circuit only moves when requests hit it.
 */

export const DEMO_PERIOD_MS = 30_000;

/** A key the simulated Anthropic and Gemini providers are called with (the simulator checks none). */
const DEMO_KEY = 'demo-key-not-secret';

export const PRIMARY_FAULTS: FaultSpec = {
  latencyMs: 80,
  jitterMs: 40,
  chunks: 8,
  chunkDelayMs: 40,
  outages: [
    { afterMs: 15_000, durationMs: 10_000, everyMs: 2 * DEMO_PERIOD_MS, fault: { kind: 'status', status: 503 } },
    { afterMs: 15_000 + DEMO_PERIOD_MS, durationMs: 10_000, everyMs: 2 * DEMO_PERIOD_MS, fault: { kind: 'hang' } },
  ],
};

export const FALLBACK_FAULTS: FaultSpec = { latencyMs: 150, jitterMs: 50, chunks: 8, chunkDelayMs: 60 };

export interface Demo {
  readonly config: SwitchyardConfigInput;
  readonly primary: Simulator;
  readonly fallback: Simulator;
  /** Lines for the start banner. */
  describe(): string[];
  /** Sends a request every `everyMs` through the router; returns the stop function. */
  startTraffic(router: Router, everyMs?: number): () => void;
  close(): Promise<void>;
}

export function demoConfig(primaryUrl: string, fallbackUrl: string): SwitchyardConfigInput {
  return {
    providers: {
      'sim-primary': { baseURL: primaryUrl, name: 'simulator' },
      'sim-fallback': { baseURL: fallbackUrl, name: 'simulator' },
      // The fallback simulator also speaks Anthropic's Messages API (under /v1) and Gemini's (under /v1beta).
      'sim-anthropic': { type: 'anthropic', baseURL: fallbackUrl, apiKey: DEMO_KEY },
      'sim-gemini': { type: 'gemini', baseURL: fallbackUrl.replace(/\/v1$/, '/v1beta'), apiKey: DEMO_KEY },
    },
    endpoints: {
      primary: { provider: 'sim-primary', model: 'sim-large', timeoutMs: 2_000, streamIdleTimeoutMs: 5_000 },
      fallback: { provider: 'sim-fallback', model: 'sim-small', timeoutMs: 5_000, streamIdleTimeoutMs: 5_000 },
      claude: { provider: 'sim-anthropic', model: 'claude-3-5-haiku-20241022', timeoutMs: 5_000, streamIdleTimeoutMs: 5_000 },
      gemini: { provider: 'sim-gemini', model: 'gemini-2.0-flash', timeoutMs: 5_000, streamIdleTimeoutMs: 5_000 },
    },
    routes: {
      chat: { endpoints: ['primary', 'fallback'] },
      // The seed's cross-provider chain: each endpoint's codec speaks its provider's own wire format.
      'cross-provider': { endpoints: ['primary', 'claude', 'gemini'] },
    },
    breaker: {
      errorThresholdPercentage: 50,
      volumeThreshold: 3,
      rollingWindowMs: 5_000,
      rollingBuckets: 10,
      resetTimeoutMs: 3_000,
      backoffMultiplier: 1.5,
      maxResetTimeoutMs: 10_000,
    },
    request: { deadlineMs: 15_000 },
  };
}

export async function startDemo(): Promise<Demo> {
  const primary = await startSimulator({ name: 'sim-primary', faults: PRIMARY_FAULTS });
  let fallback: Simulator;
  try {
    fallback = await startSimulator({ name: 'sim-fallback', faults: FALLBACK_FAULTS });
  } catch (e) {
    await primary.close();
    throw e;
  }
  const stops = new Set<() => void>();
  return {
    config: demoConfig(primary.url, fallback.url),
    primary,
    fallback,
    describe: () => [
      `demo upstreams: primary ${primary.url} (an outage every ${DEMO_PERIOD_MS / 1000}s: 503s, then hangs), fallback ${fallback.url} (healthy)`,
      `route "chat" = primary -> fallback; circuits trip after 3 failures and probe again after 3s`,
      `route "cross-provider" = primary (OpenAI API) -> claude (Anthropic Messages API) -> gemini (Gemini API), all simulated by ${fallback.url.replace(/\/v1$/, '')}`,
    ],
    startTraffic(router, everyMs = 1_000) {
      const timer = setInterval(() => {
        router.chat.completions
          .create({ model: 'chat', messages: [{ role: 'user', content: 'background demo traffic' }] })
          .catch(() => undefined);
      }, everyMs);
      timer.unref();
      const stop = () => {
        clearInterval(timer);
        stops.delete(stop);
      };
      stops.add(stop);
      return stop;
    },
    async close() {
      for (const stop of [...stops]) stop();
      await Promise.all([primary.close(), fallback.close()]);
    },
  };
}
