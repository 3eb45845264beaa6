import { connect } from 'node:net';
import { Writable } from 'node:stream';
import { afterEach } from 'vitest';
import OpenAI from 'openai';
import { parseConfig, type SwitchyardConfig, type SwitchyardConfigInput } from '../../src/config/index.js';
import type { Gateway } from '../../src/gateway/app.js';
import type { RequestInfo, RequestResult } from '../../src/router/events.js';
import type { Router } from '../../src/router/types.js';
import { startSimulator, type FaultSpec, type Simulator } from '../../src/simulator/index.js';
import type { Instrumentation } from '../../src/telemetry/index.js';
import { wireGateway } from '../support/wire-gateway.js';

/** Breaker settings for tests: trips on the second failure and stays open for the whole test. */
export const TEST_BREAKER = {
  errorThresholdPercentage: 50,
  volumeThreshold: 2,
  rollingWindowMs: 60_000,
  rollingBuckets: 10,
  resetTimeoutMs: 600_000,
  maxResetTimeoutMs: 600_000,
  jitter: 0,
};

export interface StackOptions {
  /** Upstream simulators by name, with their faults. Each becomes provider `<name>` and endpoint `<name>`. */
  upstreams?: Record<string, FaultSpec>;
  /** Endpoint ids (existing providers or extra ones given in `extra`) by route; default `chat: [all upstreams in order]`. */
  routes?: Record<string, { endpoints: string[]; deadlineMs?: number }>;
  /** Per-endpoint overrides merged over the defaults (timeoutMs etc.). */
  endpoints?: Record<string, Record<string, unknown>>;
  /** Providers/endpoints not backed by a simulator (e.g. a closed port). */
  extraProviders?: Record<string, Record<string, unknown>>;
  extraEndpoints?: Record<string, Record<string, unknown>>;
  server?: Record<string, unknown>;
  breaker?: Record<string, unknown>;
  /** Provider apiKey for every simulator provider (and what the simulators require). */
  providerKey?: string;
  request?: Record<string, unknown>;
  limits?: Record<string, unknown>;
}

export interface Stack {
  url: string;
  sims: Record<string, Simulator>;
  router: Router;
  gateway: Gateway;
  telemetry: Instrumentation;
  config: SwitchyardConfig;
  /** Every log line, parsed. */
  logs: Record<string, unknown>[];
  /** Raw log text (for canary searches). */
  logText(): string;
  /** Every request:end the router emitted. */
  ends: { request: RequestInfo; result: RequestResult }[];
  client(apiKey?: string): OpenAI;
  close(): Promise<void>;
}

export async function startStack(opts: StackOptions = {}): Promise<Stack> {
  const upstreams = opts.upstreams ?? { primary: {}, fallback: {} };
  const sims: Record<string, Simulator> = {};
  for (const [name, faults] of Object.entries(upstreams)) {
    sims[name] = await startSimulator({
      name,
      faults,
      seed: 1,
      ...(opts.providerKey ? { requireApiKey: opts.providerKey } : {}),
    });
  }
  const providers: Record<string, Record<string, unknown>> = { ...opts.extraProviders };
  const endpoints: Record<string, Record<string, unknown>> = { ...opts.extraEndpoints };
  for (const [name, sim] of Object.entries(sims)) {
    providers[name] = { baseURL: sim.url, ...(opts.providerKey ? { apiKey: opts.providerKey } : {}) };
    endpoints[name] = { provider: name, model: `${name}-model`, timeoutMs: 5_000, ...opts.endpoints?.[name] };
  }
  const raw: SwitchyardConfigInput = {
    server: { host: '127.0.0.1', port: 0, ...opts.server },
    providers,
    endpoints,
    routes: opts.routes ?? { chat: { endpoints: Object.keys(sims) } },
    breaker: { ...TEST_BREAKER, ...opts.breaker },
    retry: { retries: 0 },
    ...(opts.request ? { request: opts.request } : {}),
    ...(opts.limits ? { limits: opts.limits } : {}),
  } as SwitchyardConfigInput;
  const config = parseConfig(raw, { env: {} });

  const chunks: string[] = [];
  const sink = new Writable({
    write(chunk: Buffer | string, _enc, cb) {
      chunks.push(chunk.toString());
      cb();
    },
  });
  const { url, router, gateway, telemetry } = await wireGateway(config, sink, 'debug');
  const ends: Stack['ends'] = [];
  router.events.on('request:end', (request, result) => ends.push({ request, result }));

  return {
    url,
    sims,
    router,
    gateway,
    telemetry,
    config,
    ends,
    get logs() {
      return chunks
        .join('')
        .split('\n')
        .filter(Boolean)
        .map((l) => JSON.parse(l) as Record<string, unknown>);
    },
    logText: () => chunks.join(''),
    client: (apiKey = 'unused') => new OpenAI({ baseURL: `${url}/v1`, apiKey, maxRetries: 0, timeout: 20_000 }),
    async close() {
      await gateway.close({ graceMs: 0 });
      await router.close();
      telemetry.stop();
      await Promise.all(Object.values(sims).map((s) => s.close()));
    },
  };
}

export const HELLO = [{ role: 'user' as const, content: 'hello' }];

/** Polls `check` until it returns true or `timeoutMs` passes (then throws with `what`). */
export async function waitFor(check: () => boolean | Promise<boolean>, what: string, timeoutMs = 10_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    if (await check()) return;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

/** A raw HTTP call (for what the SDK would not send: bad JSON, huge bodies, missing fields). */
export async function post(url: string, body: string, headers: Record<string, string> = {}): Promise<Response> {
  return fetch(url, { method: 'POST', body, headers: { 'content-type': 'application/json', ...headers } });
}

/** One stack per test, closed after it: returns the starter a test calls with its options. */
export function stackPerTest(): (opts: StackOptions) => Promise<Stack> {
  let stack: Stack | undefined;
  afterEach(async () => {
    await stack?.close();
    stack = undefined;
  });
  return async (opts) => (stack = await startStack(opts));
}

/**
 * Writes a request byte for byte on a fresh connection to `url`'s host and resolves with everything the
 * server sent until it closed (send `connection: close`). Our side stays open: a client that half-closes
 * after its request gets no answer from node's server.
 */
export function onTheWire(url: string, text: string): Promise<string> {
  return new Promise((resolve, reject) => {
    const { hostname, port } = new URL(url);
    let out = '';
    const socket = connect(Number(port), hostname, () => socket.write(text));
    socket.setEncoding('utf8').on('data', (d: string) => (out += d)).on('close', () => resolve(out)).on('error', reject);
  });
}
