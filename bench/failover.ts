import type { ChatCompletionCreateParamsNonStreaming } from 'openai/resources/chat/completions';
import type { SwitchyardConfigInput } from '../src/config/index.js';
import { createRouter } from '../src/router/router.js';
import type { Router } from '../src/router/types.js';
import { closedPort, startSimulator, type FaultSpec, type Simulator } from '../src/simulator/index.js';
import { sleep, withTimeout } from './cleanup.js';
import { startInProcessGateway } from './inprocess-gateway.js';
import { createNaive } from './naive.js';
import { fallbackConfig, type Peer } from './peer.js';
import { summarize, type Summary } from './stats.js';

/*
 * What Switchyard buys when things fail. Each scenario breaks the primary of a two-endpoint chain in one
 * way, and each system gets the same open-loop traffic (a request every 1000/rate ms, whatever happened to
 * the previous ones, as real callers do), with fresh simulators. Attempts on the primary are counted by
 * the simulator. For a port that refuses connections, where no simulator can count, and for the timeline of
 * calls, each system's own calls are logged: Switchyard's attempts from its router's `attempt:start` events
 * (whatever transport it uses), the naive pattern's by a logging fetch, Portkey's by a preload in its process.
 */

/** Breaker timings for the bench: short, so each scenario fits in seconds. */
export const BENCH_BREAKER = {
  errorThresholdPercentage: 50,
  volumeThreshold: 5,
  rollingWindowMs: 2_000,
  rollingBuckets: 10,
  resetTimeoutMs: 500,
  backoffMultiplier: 2,
  maxResetTimeoutMs: 2_000,
  jitter: 0,
};
export const ATTEMPT_TIMEOUT_MS = 1_000;
/** A stretch this long with no call to the primary, while requests keep arriving, means traffic has stopped. */
export const STOP_GAP_MS = 250;

export interface Scenario {
  id: string;
  title: string;
  /** A few words for running text. */
  short: string;
  primary: FaultSpec | 'refused';
  secondary: FaultSpec;
  /** When the primary is healthy again (ms after the start), if it recovers within the run. */
  recoversAtMs?: number;
  /** Faults that come and go: a single "time until traffic stops" means nothing. */
  repeating?: boolean;
}

export function scenarios(durationMs: number): Scenario[] {
  const half = Math.round(durationMs / 2);
  return [
    { id: 'down', short: 'hard down', title: 'primary hard down (connection refused)', primary: 'refused', secondary: {} },
    { id: 'errors50', short: '500 half the time', title: 'primary returns 500 half the time', primary: { statusRates: { '500': 0.5 } }, secondary: {} },
    { id: 'hang', short: 'black hole', title: 'primary hangs (black hole)', primary: { always: { kind: 'hang' } }, secondary: {} },
    {
      id: 'rate429',
      short: '429 + Retry-After',
      title: `primary returns 429 with Retry-After: 1 for ${half / 1000} s`,
      primary: { outages: [{ afterMs: 0, durationMs: half, fault: { kind: 'status', status: 429, retryAfterSeconds: 1 } }] },
      secondary: {},
      recoversAtMs: half,
    },
    {
      id: 'flapping',
      short: 'flapping',
      title: 'primary flapping (503 for 400 ms of every 1000 ms)',
      primary: { outages: [{ afterMs: 0, durationMs: 400, everyMs: 1_000, fault: { kind: 'status', status: 503 } }] },
      secondary: {},
      repeating: true,
    },
    {
      id: 'recovery',
      short: 'outage then recovery',
      title: `primary recovers after a ${half / 1000} s outage (connections reset)`,
      primary: { outages: [{ afterMs: 0, durationMs: half, fault: { kind: 'reset' } }] },
      secondary: {},
      recoversAtMs: half,
    },
    {
      id: 'alldown',
      short: 'everything down',
      title: 'every endpoint down (both return 503)',
      primary: { always: { kind: 'status', status: 503 } },
      secondary: { always: { kind: 'status', status: 503 } },
    },
  ];
}

interface Env {
  primaryURL: string;
  secondaryURL: string;
  peer?: Peer | undefined;
}

interface CallResult {
  ok: boolean;
  answeredBy?: 'primary' | 'secondary';
}

interface SystemRun {
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

function switchyardConfig(env: Env): SwitchyardConfigInput {
  return {
    providers: { p: { baseURL: env.primaryURL, apiKey: 'sk-bench-primary' }, s: { baseURL: env.secondaryURL, apiKey: 'sk-bench-secondary' } },
    endpoints: {
      primary: { provider: 'p', model: 'sim-model', timeoutMs: ATTEMPT_TIMEOUT_MS },
      secondary: { provider: 's', model: 'sim-model', timeoutMs: ATTEMPT_TIMEOUT_MS },
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

export const SYSTEMS: System[] = [
  {
    name: 'switchyard (library)',
    async start(env) {
      let log: [number, string][] = [];
      const router = createRouter(switchyardConfig(env));
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
  },
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
        const naive = createNaive({
          primaryURL: env.primaryURL,
          secondaryURL: env.secondaryURL,
          timeoutMs: ATTEMPT_TIMEOUT_MS,
          ...(maxRetries !== undefined ? { maxRetries } : {}),
          fetch: (i, n) => loggingFetch(log)(i, n),
        });
        return {
          async call() {
            const r = await naive.create(PARAMS);
            return { ok: !!r.completion.choices[0]?.message?.content, answeredBy: r.answeredBy };
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

export interface FailoverResult {
  scenario: Scenario;
  system: string;
  missing?: string;
  requests: number;
  ok: number;
  latency: Summary;
  /** Calls that reached the primary (simulator count; the system's own log of calls for a refused port). */
  primaryAttempts: number;
  /** Of those, the ones that did not produce a usable answer. */
  wasted: number;
  /** Logged calls to the primary: attempts (Switchyard), fetches (naive, Portkey); a cross-check of the simulator. */
  primaryFetches: number;
  /** ms from the fault's start to the last call before traffic stopped; null = never stopped. */
  stopMs: number | null | undefined;
  /** ms from the primary's recovery to the first request it answered; null = not within the run. */
  returnMs: number | null | undefined;
  answeredByPrimary: number;
  /** Requests still unanswered when the run's time limit hit (counted as failures). */
  unfinished: number;
}

function stopTime(calls: number[], t0: number, windowEnd: number): number | null {
  let prev = t0;
  for (const t of calls) {
    if (t < t0) continue;
    if (t > windowEnd) break;
    if (t - prev >= STOP_GAP_MS) return prev - t0;
    prev = t;
  }
  return windowEnd - prev >= STOP_GAP_MS ? prev - t0 : null;
}

export async function runScenario(
  scenario: Scenario,
  system: System,
  opts: { durationMs: number; rate: number; peer?: Peer | undefined; seed: number },
): Promise<FailoverResult> {
  const sims: Simulator[] = [];
  let run: SystemRun | undefined;
  try {
    const primarySim = scenario.primary === 'refused' ? undefined : await startSimulator({ name: 'primary', seed: opts.seed });
    if (primarySim) sims.push(primarySim);
    const secondarySim = await startSimulator({ name: 'secondary', seed: opts.seed + 1 });
    sims.push(secondarySim);
    const primaryURL = primarySim?.url ?? `http://127.0.0.1:${await closedPort()}/v1`;
    const primaryHost = new URL(primaryURL).host;
    run = await system.start({ primaryURL, secondaryURL: secondarySim.url, peer: opts.peer });

    // Warm-up while everything is healthy (connection pools, JIT; the breaker's window sees successes, as
    // it would in production before an incident). Not counted.
    if (primarySim) for (let i = 0; i < 10; i++) await run.call().catch(() => undefined);
    await run.fetches();
    primarySim?.resetStats();
    secondarySim.resetStats();

    if (primarySim) primarySim.setFaults(scenario.primary as FaultSpec);
    secondarySim.setFaults(scenario.secondary);
    const t0 = Date.now();
    const n = Math.round((opts.rate * opts.durationMs) / 1000);
    const interval = 1000 / opts.rate;
    const outcomes: { ok: boolean; ms: number; started: number; answeredBy?: string }[] = [];
    const inflight: Promise<void>[] = [];
    for (let i = 0; i < n; i++) {
      const wait = t0 + i * interval - Date.now();
      if (wait > 0) await sleep(wait);
      const started = Date.now();
      const t = performance.now();
      inflight.push(
        run.call().then(
          (r) => void outcomes.push({ ...r, ms: performance.now() - t, started }),
          () => void outcomes.push({ ok: false, ms: performance.now() - t, started }),
        ),
      );
    }
    let unfinished = 0;
    try {
      await withTimeout(Promise.all(inflight), 60_000, `${scenario.id} / ${system.name}`);
    } catch {
      unfinished = n - outcomes.length;
    }
    const calls = (await run.fetches()).filter(([, host]) => host === primaryHost).map(([t]) => t).sort((a, b) => a - b);
    const simStats = primarySim?.stats();
    const primaryAttempts = simStats ? simStats.requests : calls.length;
    const wasted = simStats ? simStats.requests - (simStats.byResult.ok ?? 0) : calls.length;
    const faultEnd = t0 + (scenario.recoversAtMs ?? opts.durationMs);
    const recoveredAt = scenario.recoversAtMs !== undefined ? t0 + scenario.recoversAtMs : undefined;
    const firstBack =
      recoveredAt !== undefined
        ? outcomes.filter((o) => o.answeredBy === 'primary' && o.started >= recoveredAt).sort((a, b) => a.started - b.started)[0]
        : undefined;
    return {
      scenario,
      system: system.name,
      requests: n,
      ok: outcomes.filter((o) => o.ok).length,
      latency: summarize(outcomes.map((o) => o.ms)),
      primaryAttempts,
      wasted,
      primaryFetches: calls.length,
      stopMs: scenario.repeating ? undefined : stopTime(calls, t0, faultEnd),
      returnMs: recoveredAt === undefined ? undefined : firstBack ? firstBack.started - recoveredAt : null,
      answeredByPrimary: outcomes.filter((o) => o.answeredBy === 'primary').length,
      unfinished,
    };
  } finally {
    await run?.close().catch(() => undefined);
    await Promise.all(sims.map((s) => s.close()));
  }
}

export async function failover(opts: {
  durationMs: number;
  rate: number;
  peer?: Peer | undefined;
  peerMissing?: string | undefined;
  log: (l: string) => void;
  only?: string[];
}): Promise<FailoverResult[]> {
  const out: FailoverResult[] = [];
  let seed = 100;
  for (const scenario of scenarios(opts.durationMs)) {
    if (opts.only && !opts.only.includes(scenario.id)) continue;
    opts.log(`  ${scenario.title}`);
    for (const system of SYSTEMS) {
      if (system.name.startsWith('portkey') && !opts.peer) {
        out.push({
          scenario,
          system: system.name,
          missing: opts.peerMissing ?? 'peer not available',
          requests: 0,
          ok: 0,
          latency: summarize([]),
          primaryAttempts: 0,
          wasted: 0,
          primaryFetches: 0,
          stopMs: undefined,
          returnMs: undefined,
          answeredByPrimary: 0,
          unfinished: 0,
        });
        continue;
      }
      const r = await runScenario(scenario, system, { durationMs: opts.durationMs, rate: opts.rate, peer: opts.peer, seed: seed++ });
      out.push(r);
      const f = (v: number | null | undefined) => (v === undefined ? '-' : v === null ? 'never' : `${v} ms`);
      opts.log(
        `    ${system.name.padEnd(40)} ok ${((100 * r.ok) / r.requests).toFixed(1).padStart(5)} %  p50 ${r.latency.p50.toFixed(1).padStart(7)} ms  p99 ${r.latency.p99.toFixed(1).padStart(7)} ms  primary ${String(r.primaryAttempts).padStart(4)} (wasted ${String(r.wasted).padStart(4)}, logged ${r.primaryFetches})  stop ${f(r.stopMs)}  return ${f(r.returnMs)}`,
      );
    }
  }
  return out;
}
