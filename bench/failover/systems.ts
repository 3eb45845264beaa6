import OpenAI from 'openai';
import type { SwitchyardConfigInput } from '../../src/config/index.js';
import { createRouter } from '../../src/router/router.js';
import type { Router } from '../../src/router/types.js';
import { startInProcessGateway } from '../../test/soak/harness/inprocess-gateway.js';
import { ask } from '../../test/state/fleet-rig.js';
import { fallbackConfig, type Peer } from '../peer.js';
import { ATTEMPT_TIMEOUT_MS, BENCH_BREAKER } from './scenarios.js';

/*
 * The systems under failure, behind one small interface: Switchyard as a library and as the gateway, the naive
 * try/except fallback, and Portkey's fallback config. The naive pattern is what Switchyard replaces, as most
 * code writes it: call the primary; on an exception or an empty answer, call the secondary; two openai clients
 * with the SDK's defaults (`maxRetries` 2 with its backoff and Retry-After handling) apart from the timeout (its
 * default is 10 minutes, which no one keeps).
 */

type Env = { primaryURL: string; secondaryURL: string; peer?: Peer | undefined };
type CallResult = { ok: boolean; answeredBy?: 'primary' | 'secondary' | undefined };

export interface SystemRun {
  call(): Promise<CallResult>;
  /** Calls made to upstreams since the last drain: [epoch ms, host:port]. */
  fetches(): [number, string][];
  close(): Promise<void>;
}

export type System = { name: string; start(env: Env): Promise<SystemRun> };

/** Logs each attempt the router starts as [time, host of the endpoint's provider]; returns `fetches`. */
function logAttempts(router: Router, env: Env): SystemRun['fetches'] {
  const calls: [number, string][] = [];
  const hosts: Record<string, string> = { primary: new URL(env.primaryURL).host, secondary: new URL(env.secondaryURL).host };
  router.events.on('attempt:start', (a) => void calls.push([Date.now(), hosts[a.endpoint] ?? a.endpoint]));
  return () => calls.splice(0);
}

function switchyardConfig(env: Env): SwitchyardConfigInput {
  return {
    providers: { p: { baseURL: env.primaryURL, apiKey: 'sk-bench-primary' }, s: { baseURL: env.secondaryURL, apiKey: 'sk-bench-secondary' } },
    endpoints: { primary: { provider: 'p', model: 'sim-model', timeoutMs: ATTEMPT_TIMEOUT_MS }, secondary: { provider: 's', model: 'sim-model', timeoutMs: ATTEMPT_TIMEOUT_MS } },
    routes: { chat: { endpoints: ['primary', 'secondary'] } },
    breaker: BENCH_BREAKER,
    retry: { retries: 0 },
    request: { deadlineMs: 5_000 },
  };
}

/** A chat completion over HTTP (the gateways): ok when the answer has content. */
async function postChat(url: string, headers: Record<string, string>, model: string, answeredBy: (h: Headers) => CallResult['answeredBy']): Promise<CallResult> {
  const res = await fetch(url, { method: 'POST', headers: { 'content-type': 'application/json', ...headers }, body: JSON.stringify({ ...ask, model }), signal: AbortSignal.timeout(30_000) });
  const answer = (await res.json().catch(() => undefined)) as { choices?: { message?: { content?: string } }[] } | null | undefined;
  return { ok: res.status === 200 && !!answer?.choices?.[0]?.message?.content, answeredBy: answeredBy(res.headers) };
}

const switchyardLibrary: System = {
  name: 'switchyard (library)',
  async start(env) {
    const router = createRouter(switchyardConfig(env));
    return {
      async call() {
        const r = await router.dispatch(ask);
        return { ok: !!r.response.choices[0]?.message?.content, answeredBy: r.endpoint as 'primary' | 'secondary' };
      },
      fetches: logAttempts(router, env),
      close: () => router.close(),
    };
  },
};

const switchyardGateway: System = {
  name: 'switchyard (gateway)',
  async start(env) {
    const gw = await startInProcessGateway(switchyardConfig(env));
    const by = (h: Headers) => (h.get('x-switchyard-endpoint') ?? undefined) as CallResult['answeredBy'];
    return { call: () => postChat(`${gw.url}/v1/chat/completions`, {}, 'chat', by), fetches: logAttempts(gw.router, env), close: () => gw.close() };
  },
};

const naive: System = {
  name: 'naive try/except (openai SDK defaults)',
  async start(env) {
    const calls: [number, string][] = [];
    const loggingFetch: typeof fetch = (input, init) => {
      calls.push([Date.now(), new URL(typeof input === 'string' ? input : input instanceof URL ? input.href : input.url).host]);
      return fetch(input, init);
    };
    const [primary, secondary] = [env.primaryURL, env.secondaryURL].map((baseURL) => new OpenAI({ baseURL, apiKey: 'sk-naive', timeout: ATTEMPT_TIMEOUT_MS, fetch: loggingFetch }));
    return {
      async call() {
        try {
          const c = await primary!.chat.completions.create(ask);
          if (c.choices[0]?.message?.content) return { ok: true, answeredBy: 'primary' };
        } catch {
          // fall through to the secondary
        }
        const c = await secondary!.chat.completions.create(ask);
        return { ok: !!c.choices[0]?.message?.content, answeredBy: 'secondary' };
      },
      fetches: () => calls.splice(0),
      close: async () => undefined,
    };
  },
};

const portkey: System = {
  name: 'portkey (fallback config)',
  async start(env) {
    const peer = env.peer!;
    const targets = [env.primaryURL, env.secondaryURL].map((baseURL) => ({ baseURL, requestTimeoutMs: ATTEMPT_TIMEOUT_MS }));
    const headers = { 'x-portkey-config': fallbackConfig(targets) };
    const by = (h: Headers) => ({ 'config.targets[0]': 'primary', 'config.targets[1]': 'secondary' } as const)[h.get('x-portkey-last-used-option-index') as 'config.targets[0]'];
    peer.fetches();
    return { call: () => postChat(`${peer.url}/v1/chat/completions`, headers, 'sim-model', by), fetches: () => peer.fetches(), close: async () => undefined };
  },
};

export const SYSTEMS: System[] = [switchyardLibrary, switchyardGateway, naive, portkey];
