import { Writable } from 'node:stream';
import OpenAI from 'openai';
import { afterEach } from 'vitest';
import { parseConfig, type SwitchyardConfigInput } from '../../src/config/index.js';
import { createGateway, type Gateway } from '../../src/gateway/app.js';
import { createLogger } from '../../src/gateway/logging.js';
import type { ChargeReason, ChargeVerdict } from '../../src/router/attribution.js';
import { createRouter } from '../../src/router/router.js';
import type { Router, RouterOptions } from '../../src/router/types.js';
import { instrument, type Instrumentation } from '../../src/telemetry/index.js';
import { startFakeProvider, type FakeProvider, type FakeProviderOptions } from './fake-provider.js';

/*
 * Two fake providers (primary, fallback) behind a router, and the router behind a real gateway: the same
 * requests are sent through the library (router.chat.completions) and over HTTP through the real openai SDK.
 */

export interface AttributionRig {
  router: Router;
  primary: FakeProvider;
  fallback: FakeProvider;
  /** An openai SDK client of the gateway (no retries of its own). */
  client: OpenAI;
  gatewayUrl: string;
  charges: { endpoint: string; verdict: ChargeVerdict; reason: ChargeReason }[];
  telemetry: Instrumentation;
  gateway: Gateway;
  state(endpoint: string): string;
  /** The gateway's log lines (info and above), parsed. */
  logs(): Record<string, unknown>[];
  close(): Promise<void>;
}

export interface RigOptions {
  primary?: FakeProviderOptions;
  fallback?: FakeProviderOptions;
  /** Route `chat`: both endpoints, or the primary alone. */
  chain?: 'fallback' | 'alone';
  retries?: number;
  endpoint?: Record<string, unknown>;
  breaker?: Record<string, unknown>;
  config?: Partial<SwitchyardConfigInput>;
  router?: RouterOptions;
}

export async function startRig(opts: RigOptions = {}): Promise<AttributionRig> {
  const primary = await startFakeProvider(opts.primary);
  const fallback = await startFakeProvider(opts.fallback);
  const raw: SwitchyardConfigInput = {
    server: { host: '127.0.0.1', port: 0 },
    providers: { p1: { baseURL: primary.url, apiKey: 'sk-attribution-primary-01' }, p2: { baseURL: fallback.url, apiKey: 'sk-attribution-fallback-02' } },
    endpoints: {
      primary: { provider: 'p1', model: 'model-a', timeoutMs: 2_000, ...opts.endpoint },
      fallback: { provider: 'p2', model: 'model-b', timeoutMs: 2_000, ...opts.endpoint },
    },
    routes: { chat: { endpoints: opts.chain === 'alone' ? ['primary'] : ['primary', 'fallback'] } },
    // Trips at the third failure in a minute; stays open for the whole test.
    breaker: { volumeThreshold: 3, errorThresholdPercentage: 50, rollingWindowMs: 60_000, resetTimeoutMs: 600_000, maxResetTimeoutMs: 600_000, jitter: 0, ...opts.breaker },
    retry: opts.retries
      ? { retries: opts.retries, baseDelayMs: 0, maxDelayMs: 0, on: ['invalid_response', 'timeout', 'rate_limited', 'auth_error', 'server_error'] }
      : { retries: 0 },
    ...opts.config,
  };
  const config = parseConfig(raw, { env: {} });
  const router = createRouter(config, opts.router);
  const charges: AttributionRig['charges'] = [];
  router.events.on('charge', (endpoint, verdict, reason) => charges.push({ endpoint, verdict, reason }));
  const telemetry = instrument(router);
  const lines: string[] = [];
  const sink = new Writable({
    write(chunk: Buffer | string, _enc, cb) {
      lines.push(chunk.toString());
      cb();
    },
  });
  const logger = createLogger({ level: 'info', destination: sink });
  const gateway = createGateway({ router, config, metrics: telemetry, logger });
  const { url } = await gateway.listen(0, '127.0.0.1');
  return {
    router,
    primary,
    fallback,
    client: new OpenAI({ baseURL: `${url}/v1`, apiKey: 'unused', maxRetries: 0, timeout: 20_000 }),
    gatewayUrl: url,
    charges,
    telemetry,
    gateway,
    logs: () => lines.join('').split('\n').filter(Boolean).map((l) => JSON.parse(l) as Record<string, unknown>),
    state: (endpoint) => router.circuits().find((c) => c.endpoint === endpoint)!.state,
    async close() {
      await gateway.close({ graceMs: 0 });
      await router.close();
      telemetry.stop();
      await Promise.all([primary.close(), fallback.close()]);
    },
  };
}

/** One rig per test, closed after it. */
export function rigPerTest(): (opts?: RigOptions) => Promise<AttributionRig> {
  let rig: AttributionRig | undefined;
  afterEach(async () => {
    await rig?.close();
    rig = undefined;
  });
  return async (opts) => (rig = await startRig(opts));
}

export const user = (content: string) => [{ role: 'user' as const, content }];
