import OpenAI from 'openai';
import type { ChatCompletionCreateParamsNonStreaming } from 'openai/resources/chat/completions';
import type { SwitchyardConfigInput } from '../../src/config/index.js';
import { createRouter } from '../../src/router/router.js';
import type { Router } from '../../src/router/types.js';
import { startInProcessGateway } from '../inprocess-gateway.js';
import { fallbackConfig, type Peer } from '../peer.js';
import { ATTEMPT_TIMEOUT_MS, BENCH_BREAKER } from './scenarios.js';

/*
 * The systems under failure: Switchyard (as a library and as the gateway), the naive try/except fallback over
 * the openai SDK, and Portkey's fallback config, each behind the same small interface.
 *
 * The naive pattern is what Switchyard replaces, as most code writes it: call the primary; on an exception or an
 * empty answer, call the secondary. Two openai clients with the SDK's defaults apart from the timeout (its
 * default is 10 minutes, which no one keeps): `maxRetries` stays at 2 with its backoff and Retry-After handling;
 * a second variant sets `maxRetries: 0` (the pattern's best case: no blind retries).
 */

export interface Env {
  primaryURL: string;
  secondaryURL: string;
  peer?: Peer | undefined;
}

export interface CallResult {
  ok: boolean;
  answeredBy?: 'primary' | 'secondary';
}

export interface SystemRun {
  call(): Promise<CallResult>;
  /** Calls made to upstreams since the start (or the last drain): [epoch ms, host:port]. */
  fetches(): Promise<[number, string][]>;
  close(): Promise<void>;
}

export interface System {
  name: string;
  start(env: Env): Promise<SystemRun>;
}

const MESSAGES = [{ role: 'user' as const, content: 'hello' }];
const PARAMS: ChatCompletionCreateParamsNonStreaming = { model: 'chat', messages: MESSAGES };

/** Logs each attempt the router starts as [time, host of the endpoint's provider]. */
function logAttempts(router: Router, env: Env, log: () => [number, string][]): void {
  const hosts: Record<string, string> = { primary: new URL(env.primaryURL).host, secondary: new URL(env.secondaryURL).host };
  router.events.on('attempt:start', (a) => void log().push([Date.now(), hosts[a.endpoint] ?? a.endpoint]));
}

function loggingFetch(log: [number, string][]): typeof fetch {
  return (input, init) => {
    const url = typeof input === 'string' ? input : input instanceof URL ? input.href : input.url;
    log.push([Date.now(), new URL(url).host]);
    return fetch(input, init);
  };
}

/** The endpoints' `maxConcurrent` in the capped library row: far above the bench's healthy concurrency (about 0.1). */
export const BENCH_MAX_CONCURRENT = 8;

function switchyardConfig(env: Env, maxConcurrent?: number): SwitchyardConfigInput {
  const cap = maxConcurrent !== undefined ? { maxConcurrent } : {};
  return {
    providers: { p: { baseURL: env.primaryURL, apiKey: 'sk-bench-primary' }, s: { baseURL: env.secondaryURL, apiKey: 'sk-bench-secondary' } },
    endpoints: {
      primary: { provider: 'p', model: 'sim-model', timeoutMs: ATTEMPT_TIMEOUT_MS, ...cap },
      secondary: { provider: 's', model: 'sim-model', timeoutMs: ATTEMPT_TIMEOUT_MS, ...cap },
    },
    routes: { chat: { endpoints: ['primary', 'secondary'] } },
    breaker: BENCH_BREAKER,
    retry: { retries: 0 },
    request: { deadlineMs: 5_000 },
  };
}

/** A chat completion over HTTP (gateways): ok when the answer has content. */
async function postChat(url: string, headers: Record<string, string>, answeredBy: (h: Headers) => CallResult['answeredBy']): Promise<CallResult> {
  const res = await fetch(url, {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...headers },
    body: JSON.stringify({ ...PARAMS, ...(headers['x-portkey-config'] ? { model: 'sim-model' } : {}) }),
    signal: AbortSignal.timeout(30_000),
  });
  const text = await res.text();
  if (res.status !== 200) return { ok: false };
  try {
    const body = JSON.parse(text) as { choices?: { message?: { content?: string } }[] };
    const by = answeredBy(res.headers);
    return { ok: !!body.choices?.[0]?.message?.content, ...(by ? { answeredBy: by } : {}) };
  } catch {
    return { ok: false };
  }
}

/** Switchyard as a library, as configured by the bench, with or without a cap on attempts in flight. */
function library(name: string, maxConcurrent?: number): System {
  return {
    name,
    async start(env) {
      let log: [number, string][] = [];
      const router = createRouter(switchyardConfig(env, maxConcurrent));
      logAttempts(router, env, () => log);
      return {
        async call() {
          const r = await router.dispatch(PARAMS);
          return { ok: !!r.response.choices[0]?.message?.content, answeredBy: r.endpoint as 'primary' | 'secondary' };
        },
        fetches: async () => [log, (log = [])][0]!,
        close: () => router.close(),
      };
    },
  };
}

export const SYSTEMS: System[] = [
  library('switchyard (library)'),
  library(`switchyard (library, maxConcurrent ${BENCH_MAX_CONCURRENT})`, BENCH_MAX_CONCURRENT),
  {
    name: 'switchyard (gateway)',
    async start(env) {
      let log: [number, string][] = [];
      const gw = await startInProcessGateway(switchyardConfig(env));
      logAttempts(gw.router, env, () => log);
      return {
        call: () => postChat(`${gw.url}/v1/chat/completions`, {}, (h) => (h.get('x-switchyard-endpoint') as 'primary' | 'secondary') ?? undefined),
        fetches: async () => [log, (log = [])][0]!,
        close: () => gw.close(),
      };
    },
  },
  ...[undefined, 0].map(
    (maxRetries): System => ({
      name: maxRetries === undefined ? 'naive try/except (SDK default retries)' : 'naive try/except (maxRetries 0)',
      async start(env) {
        let log: [number, string][] = [];
        const client = (baseURL: string) =>
          new OpenAI({ baseURL, apiKey: 'sk-naive', timeout: ATTEMPT_TIMEOUT_MS, ...(maxRetries !== undefined ? { maxRetries } : {}), fetch: (i, n) => loggingFetch(log)(i, n) });
        const [primary, secondary] = [client(env.primaryURL), client(env.secondaryURL)];
        return {
          async call() {
            try {
              const c = await primary.chat.completions.create(PARAMS);
              if (c.choices[0]?.message?.content) return { ok: true, answeredBy: 'primary' };
            } catch {
              // fall through to the secondary
            }
            const c = await secondary.chat.completions.create(PARAMS);
            return { ok: !!c.choices[0]?.message?.content, answeredBy: 'secondary' };
          },
          fetches: async () => [log, (log = [])][0]!,
          close: async () => undefined,
        };
      },
    }),
  ),
  {
    name: 'portkey (fallback config)',
    async start(env) {
      const peer = env.peer!;
      const headers = {
        'x-portkey-config': fallbackConfig([
          { baseURL: env.primaryURL, requestTimeoutMs: ATTEMPT_TIMEOUT_MS },
          { baseURL: env.secondaryURL, requestTimeoutMs: ATTEMPT_TIMEOUT_MS },
        ]),
      };
      await peer.fetches();
      return {
        call: () =>
          postChat(`${peer.url}/v1/chat/completions`, headers, (h) => {
            const used = h.get('x-portkey-last-used-option-index');
            return used === 'config.targets[0]' ? 'primary' : used === 'config.targets[1]' ? 'secondary' : undefined;
          }),
        fetches: () => peer.fetches(),
        close: async () => undefined,
      };
    },
  },
];
