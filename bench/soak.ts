import { Agent, request, type IncomingHttpHeaders } from 'node:http';
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import { closedPort, startSimulator, type FaultSpec, type Simulator } from '../src/simulator/index.js';
import type { Fault } from '../src/simulator/faults.js';
import { mulberry32, type Rng } from '../src/simulator/random.js';
import type { SwitchyardConfigInput } from '../src/config/index.js';
import { sleep } from './cleanup.js';
import { startInProcessGateway, type InProcessGateway } from './inprocess-gateway.js';

/*
 * Chaos soak: mixed plain and streamed traffic (some of it JSON mode, some of it abandoned by its caller,
 * some of it malformed) through the real gateway (in this process: the same createRouter + instrument +
 * createGateway that `switchyard serve` wires), while three simulators take random faults of every kind
 * at random moments, and a fourth endpoint refuses every connection. It checks invariants, not timings:
 *
 * - every request ends (none is still open at its caller's hard limit) with a success or a clean
 *   OpenAI-shaped error: JSON `{error: {message, type, code}}` with a status the gateway may send, or, for a
 *   stream that already started, an SSE error event; a stream never mixes two answers and always ends with
 *   `[DONE]` or an error event;
 * - no unhandled rejection, no uncaught exception, no error-level line in the gateway's log, no 500;
 * - when traffic stops, nothing is left in flight (gateway, simulators), sockets and timers come back to
 *   where they were, and the heap after GC is where it was after warm-up (reported; judged by the bench);
 * - `switchyard_attempts_total`, summed per endpoint from GET /metrics, matches what each simulator
 *   counted. The refusing endpoint is left out (a refused connection never reaches anyone), and an attempt
 *   cancelled by its caller or the deadline may have been cut before its request reached the simulator, so
 *   per endpoint: simulator <= metric <= simulator + cancelled attempts.
 */

export interface SoakOptions {
  durationMs: number;
  /** Callers sending requests back to back. */
  concurrency: number;
  /** Upper bound on requests, whatever the duration. */
  maxRequests: number;
  seed: number;
  /** Route deadline given to the gateway (request.deadlineMs). */
  deadlineMs?: number;
  log?: (line: string) => void;
}

export interface SoakReport {
  durationMs: number;
  requests: number;
  /** Requests by what came back, e.g. `plain 200`, `stream 200 [DONE]`, `stream 200 error event`, `plain 502`. */
  outcomes: Record<string, number>;
  violations: string[];
  violationCount: number;
  deadlineMs: number;
  /** Requests that took longer than their route's deadline plus one second (not abandoned ones). */
  late: number;
  maxMs: number;
  p99Ms: number;
  unhandledRejections: number;
  uncaughtExceptions: number;
  faultChanges: number;
  /** What the simulators did, summed: ok, hang, reset, status_500... */
  simulatorResults: Record<string, number>;
  circuitTransitions: Record<string, number>;
  attempts: {
    byEndpoint: Record<string, { metric: number; simulator: number; cancelled: number }>;
    refused: number;
    total: number;
    agree: boolean;
  };
  resources: {
    socketsBefore: number;
    socketsPeak: number;
    socketsAfter: number;
    timersBefore: number;
    timersAfter: number;
    /** Heap used after GC, MB: after warm-up, and after the run. */
    heapBeforeMb: number;
    heapAfterMb: number;
    rssBeforeMb: number;
    rssAfterMb: number;
    /** Heap used (no GC) sampled every second during the run, MB. */
    heapSamplesMb: number[];
  };
}

const ENDPOINT_IDS = ['a', 'b', 'c'] as const;
const SOLO_DEADLINE_MS = 450;
const ALLOWED_ERROR_STATUS = new Set([400, 404, 413, 422, 502, 503, 504]);

let gcFn: (() => void) | undefined;
function gc(): void {
  if (!gcFn) {
    setFlagsFromString('--expose-gc');
    gcFn = runInNewContext('gc') as () => void;
  }
  gcFn();
  gcFn();
}

function resources(): { sockets: number; timers: number } {
  let sockets = 0;
  let timers = 0;
  for (const r of process.getActiveResourcesInfo()) {
    if (r === 'TCPSocketWrap') sockets++;
    else if (r === 'Timeout') timers++;
  }
  return { sockets, timers };
}

const pick = <T>(rng: Rng, items: readonly T[]): T => items[Math.floor(rng() * items.length)]!;
const between = (rng: Rng, lo: number, hi: number) => Math.floor(lo + rng() * (hi - lo + 1));

function randomFault(rng: Rng): Fault {
  switch (between(rng, 0, 8)) {
    case 0:
      return { kind: 'status', status: pick(rng, [400, 401, 403, 404, 408, 422, 429, 500, 502, 503]), ...(rng() < 0.5 ? { retryAfterSeconds: between(rng, 0, 1) } : {}) };
    case 1:
      return { kind: 'hang' };
    case 2:
      return { kind: 'reset' };
    case 3:
      return { kind: 'malformed' };
    case 4:
      return { kind: 'empty' };
    case 5:
      return { kind: 'slow_first_token', delayMs: between(rng, 0, 800) };
    case 6:
      return { kind: 'cut', afterChunks: between(rng, 0, 3) };
    case 7:
      return { kind: 'not_json' };
    default:
      return { kind: 'status', status: 500 };
  }
}

/** A random fault spec: healthy, a fault always, a repeating outage, or a mix of rates; plus random delays. */
export function randomSpec(rng: Rng): FaultSpec {
  const timing: FaultSpec = {
    ...(rng() < 0.5 ? { latencyMs: between(rng, 0, 20) } : {}),
    ...(rng() < 0.3 ? { jitterMs: between(rng, 0, 15) } : {}),
    chunks: between(rng, 1, 6),
    ...(rng() < 0.5 ? { chunkDelayMs: between(rng, 0, 25) } : {}),
    ...(rng() < 0.3 ? { firstTokenDelayMs: between(rng, 0, 60) } : {}),
    ...(rng() < 0.5 ? { retryAfterSeconds: between(rng, 0, 1) } : {}),
  };
  const r = rng();
  if (r < 0.25) return timing;
  if (r < 0.37) return { ...timing, always: randomFault(rng) };
  if (r < 0.5) {
    const durationMs = between(rng, 100, 500);
    return { ...timing, outages: [{ afterMs: between(rng, 0, 300), durationMs, everyMs: durationMs + between(rng, 100, 700), fault: randomFault(rng) }] };
  }
  // A mix of rates adding up to at most 5-50 %.
  const spec: FaultSpec = { ...timing };
  const kinds = ['statusRates', 'hang', 'reset', 'malformed', 'empty', 'cut', 'notJson'] as const;
  let budget = 0.05 + rng() * 0.45;
  for (const kind of kinds) {
    if (rng() < 0.5) continue;
    const p = Math.round(budget * rng() * 1000) / 1000;
    budget -= p;
    if (kind === 'statusRates') spec.statusRates = { [String(pick(rng, [400, 401, 408, 422, 429, 500, 502, 503]))]: p };
    else spec[kind] = p;
    if (kind === 'cut') spec.cutAfterChunks = between(rng, 0, 3);
  }
  return spec;
}

interface Sent {
  kind: string;
  status?: number;
  headers?: IncomingHttpHeaders;
  body: string;
  ms: number;
  /** We abandoned it on purpose. */
  abandoned: boolean;
  /** Still open at the hard limit. */
  hung: boolean;
  error?: string;
}

function send(
  agent: Agent,
  url: URL,
  payload: string,
  o: { abandonAfterMs?: number | undefined; abandonAfterFirstChunk?: boolean; hardLimitMs: number },
): Promise<Omit<Sent, 'kind'>> {
  return new Promise((resolve) => {
    const t0 = performance.now();
    let body = '';
    let status: number | undefined;
    let headers: IncomingHttpHeaders | undefined;
    let settled = false;
    const done = (extra: Partial<Sent>) => {
      if (settled) return;
      settled = true;
      clearTimeout(hard);
      clearTimeout(abandon);
      resolve({ body, ms: performance.now() - t0, abandoned: false, hung: false, ...(status !== undefined ? { status } : {}), ...(headers ? { headers } : {}), ...extra });
    };
    const req = request(
      url,
      { method: 'POST', agent, headers: { 'content-type': 'application/json', 'content-length': Buffer.byteLength(payload) } },
      (res) => {
        status = res.statusCode;
        headers = res.headers;
        res.setEncoding('utf8');
        res.on('data', (d: string) => {
          body += d;
          if (o.abandonAfterFirstChunk) {
            req.destroy();
            done({ abandoned: true });
          }
        });
        res.on('end', () => done({}));
        res.on('error', (e) => done({ error: e.message }));
        res.on('close', () => done(res.complete ? {} : { error: 'response closed before its end' }));
      },
    );
    req.on('error', (e) => done({ error: e.message }));
    const hard = setTimeout(() => {
      req.destroy();
      done({ hung: true });
    }, o.hardLimitMs);
    const abandon =
      o.abandonAfterMs !== undefined
        ? setTimeout(() => {
            req.destroy();
            done({ abandoned: true });
          }, o.abandonAfterMs)
        : undefined;
    req.end(payload);
  });
}

function isErrorBody(v: unknown): boolean {
  if (typeof v !== 'object' || v === null) return false;
  const e = (v as { error?: unknown }).error as { message?: unknown; type?: unknown; code?: unknown } | undefined;
  return !!e && typeof e.message === 'string' && typeof e.type === 'string' && (typeof e.code === 'string' || e.code === null);
}

/** What is wrong with a finished request, or undefined. Adds its class to `outcomes`. */
function check(r: Sent, stream: boolean, jsonMode: boolean, outcomes: Record<string, number>): string | undefined {
  const tag = stream ? 'stream' : 'plain';
  const count = (k: string) => void (outcomes[k] = (outcomes[k] ?? 0) + 1);
  if (r.abandoned) return void count(`${tag} abandoned by its caller`);
  if (r.hung) return `${r.kind}: still open at the caller's hard limit (${Math.round(r.ms)} ms)`;
  if (r.error) return `${r.kind}: ${r.error} after ${Math.round(r.ms)} ms (status ${r.status ?? 'none'})`;
  const status = r.status!;
  const isSse = String(r.headers?.['content-type'] ?? '').startsWith('text/event-stream');
  if (status !== 200 || !isSse) {
    if (status === 200 && stream) return `${r.kind}: 200 without text/event-stream`;
    let parsed: unknown;
    try {
      parsed = JSON.parse(r.body);
    } catch {
      return `${r.kind}: ${status} body is not JSON: ${r.body.slice(0, 120)}`;
    }
    if (status === 200) {
      const c = parsed as { object?: string; choices?: { message?: { content?: unknown } }[] };
      const content = c.choices?.[0]?.message?.content;
      if (c.object !== 'chat.completion' || typeof content !== 'string' || content === '') return `${r.kind}: 200 without a completion: ${r.body.slice(0, 120)}`;
      if (jsonMode) {
        try {
          JSON.parse(content);
        } catch {
          return `${r.kind}: JSON mode answer is not JSON: ${content.slice(0, 80)}`;
        }
      }
      if (!ENDPOINT_IDS.includes(r.headers?.['x-switchyard-endpoint'] as (typeof ENDPOINT_IDS)[number])) return `${r.kind}: 200 without x-switchyard-endpoint`;
      return void count(`${tag} 200`);
    }
    if (!ALLOWED_ERROR_STATUS.has(status)) return `${r.kind}: unexpected status ${status}: ${r.body.slice(0, 160)}`;
    if (!isErrorBody(parsed)) return `${r.kind}: ${status} body is not an OpenAI-shaped error: ${r.body.slice(0, 160)}`;
    if (status === 503 && !r.headers?.['retry-after']) return `${r.kind}: 503 without Retry-After`;
    return void count(`${tag} ${status}`);
  }
  // A stream: every event a chunk of one answer, ending with [DONE] or an error event.
  if (!stream) return `${r.kind}: SSE answer to a plain request`;
  if (!r.body.endsWith('\n\n')) return `${r.kind}: stream ended mid-event: ${r.body.slice(-80)}`;
  const events = r.body.split('\n\n').filter((e) => e !== '');
  let id: string | undefined;
  let content = '';
  for (const [i, event] of events.entries()) {
    if (!event.startsWith('data: ')) return `${r.kind}: not a data event: ${event.slice(0, 80)}`;
    const data = event.slice(6);
    const last = i === events.length - 1;
    if (data === '[DONE]') {
      if (!last) return `${r.kind}: events after [DONE]`;
      if (content === '') return `${r.kind}: stream completed with no content`;
      if (jsonMode) {
        try {
          JSON.parse(content);
        } catch {
          // Streams are not validated as JSON (README: validators apply to non-streamed answers only).
        }
      }
      return void count('stream 200 [DONE]');
    }
    let v: unknown;
    try {
      v = JSON.parse(data);
    } catch {
      return `${r.kind}: event is not JSON: ${data.slice(0, 80)}`;
    }
    if (isErrorBody(v)) {
      if (!last) return `${r.kind}: events after an error event`;
      return void count('stream 200 then error event');
    }
    const chunk = v as { id?: string; object?: string; choices?: { delta?: { content?: string } }[] };
    if (chunk.object !== 'chat.completion.chunk') return `${r.kind}: not a chunk: ${data.slice(0, 80)}`;
    if (id !== undefined && chunk.id !== id) return `${r.kind}: chunks of two answers glued together (${id}, ${chunk.id})`;
    id = chunk.id;
    content += chunk.choices?.[0]?.delta?.content ?? '';
  }
  return `${r.kind}: stream ended without [DONE] or an error event`;
}

function parseAttempts(text: string): { byEndpoint: Record<string, Record<string, number>> } {
  const byEndpoint: Record<string, Record<string, number>> = {};
  for (const line of text.split('\n')) {
    const m = /^switchyard_attempts_total\{([^}]*)\}\s+(\S+)/.exec(line);
    if (!m) continue;
    const labels = Object.fromEntries([...m[1]!.matchAll(/(\w+)="([^"]*)"/g)].map((x) => [x[1], x[2]]));
    const ep = labels.endpoint!;
    const outcome = labels.outcome!;
    byEndpoint[ep] ??= {};
    byEndpoint[ep][outcome] = (byEndpoint[ep][outcome] ?? 0) + Number(m[2]);
  }
  return { byEndpoint };
}

export async function runSoak(o: SoakOptions): Promise<SoakReport> {
  const log = o.log ?? (() => undefined);
  const rng = mulberry32(o.seed);
  const deadlineMs = o.deadlineMs ?? 2_000;
  const violations: string[] = [];
  let violationCount = 0;
  const violate = (v: string) => {
    violationCount++;
    if (violations.length < 50) violations.push(v);
  };
  let unhandledRejections = 0;
  let uncaughtExceptions = 0;
  const onRejection = (e: unknown) => {
    unhandledRejections++;
    violate(`unhandled rejection: ${e instanceof Error ? `${e.name}: ${e.message}` : String(e)}`);
  };
  const onException = (e: unknown) => {
    uncaughtExceptions++;
    violate(`uncaught exception: ${e instanceof Error ? `${e.name}: ${e.message}` : String(e)}`);
  };
  process.on('unhandledRejection', onRejection);
  process.on('uncaughtException', onException);

  const before = resources();
  const sims: Record<string, Simulator> = {};
  let gw: InProcessGateway | undefined;
  let agent: Agent | undefined;
  try {
    for (const [i, id] of ENDPOINT_IDS.entries()) sims[id] = await startSimulator({ name: `sim-${id}`, seed: o.seed + i });
    const refused = await closedPort();
    const endpoint = (provider: string) => ({ provider, model: `model-${provider}`, timeoutMs: 500, firstTokenTimeoutMs: 400, streamIdleTimeoutMs: 400 });
    const config: SwitchyardConfigInput = {
      providers: {
        ...Object.fromEntries(ENDPOINT_IDS.map((id) => [id, { baseURL: sims[id]!.url, apiKey: `sk-soak-${id}-0000` }])),
        dead: { baseURL: `http://127.0.0.1:${refused}/v1`, apiKey: 'sk-soak-dead-0000' },
      },
      endpoints: { a: endpoint('a'), b: endpoint('b'), c: endpoint('c'), dead: endpoint('dead') },
      // `solo` has a deadline shorter than one attempt timeout: the deadline path (504, streams cut) gets exercised.
      routes: { chat: { endpoints: ['a', 'b', 'c'] }, edge: { endpoints: ['dead', 'c', 'b'] }, solo: { endpoints: ['b'], deadlineMs: SOLO_DEADLINE_MS } },
      breaker: {
        errorThresholdPercentage: 50,
        volumeThreshold: 4,
        rollingWindowMs: 2_000,
        rollingBuckets: 10,
        resetTimeoutMs: 300,
        backoffMultiplier: 2,
        maxResetTimeoutMs: 1_200,
        jitter: 0.2,
        maxRetryAfterMs: 1_000,
      },
      retry: { retries: 1, baseDelayMs: 10, maxDelayMs: 50 },
      request: { deadlineMs },
    };
    gw = await startInProcessGateway(config);
    const transitions: Record<string, number> = {};
    gw.router.events.on('circuit', (_ep, _from, to) => void (transitions[to] = (transitions[to] ?? 0) + 1));
    agent = new Agent({ keepAlive: true, maxSockets: o.concurrency });
    const url = new URL(`${gw.url}/v1/chat/completions`);
    const hardLimitMs = deadlineMs + 5_000;

    // Warm-up, healthy: JIT and pools, so the heap baseline is not the cold one.
    for (let i = 0; i < 50; i++) await send(agent, url, JSON.stringify({ model: 'chat', messages: [{ role: 'user', content: 'warm' }], stream: i % 2 === 0 }), { hardLimitMs });
    gc();
    const heapBefore = process.memoryUsage();
    for (const s of Object.values(sims)) s.resetStats();
    // The metric counts warm-up attempts too: keep its value now, to subtract.
    const warm = parseAttempts(await (await fetch(`${gw.url}/metrics`)).text()).byEndpoint;

    const outcomes: Record<string, number> = {};
    const durations: number[] = [];
    const heapSamples: number[] = [];
    let socketsPeak = 0;
    let requests = 0;
    let late = 0;
    let faultChanges = 0;
    const end = Date.now() + o.durationMs;
    const sampler = setInterval(() => {
      heapSamples.push(process.memoryUsage().heapUsed / 1048576);
      socketsPeak = Math.max(socketsPeak, resources().sockets);
    }, 1_000);

    const chaos = (async () => {
      while (Date.now() < end) {
        await sleep(between(rng, 150, 700));
        if (Date.now() >= end) break;
        const id = pick(rng, ENDPOINT_IDS);
        sims[id]!.setFaults(randomSpec(rng));
        faultChanges++;
      }
    })();

    const caller = async (n: number) => {
      const crng = mulberry32(o.seed * 1000 + n);
      while (Date.now() < end && requests < o.maxRequests) {
        requests++;
        const model = pick(crng, ['chat', 'chat', 'edge', 'solo', 'a']);
        const r = crng();
        const stream = r < 0.45;
        const jsonMode = crng() < 0.15;
        const bad = crng() < 0.04;
        const unknown = !bad && crng() < 0.03;
        const abandon = crng() < 0.06;
        const body = bad
          ? JSON.stringify({ model, messages: 'not an array' })
          : JSON.stringify({
              model: unknown ? 'no-such-route' : model,
              messages: [{ role: 'user', content: `soak ${n}-${requests}` }],
              ...(stream ? { stream: true, ...(crng() < 0.5 ? { stream_options: { include_usage: true } } : {}) } : {}),
              ...(jsonMode ? { response_format: { type: 'json_object' } } : {}),
            });
        const kind = `${stream ? 'stream' : 'plain'}${jsonMode ? ' json' : ''} ${model}${bad ? ' (bad request)' : ''}${unknown ? ' (unknown model)' : ''}`;
        const sent = await send(agent!, url, body, {
          hardLimitMs,
          ...(abandon ? (stream && crng() < 0.5 ? { abandonAfterFirstChunk: true } : { abandonAfterMs: between(crng, 0, 600) }) : {}),
        });
        const result: Sent = { kind, ...sent };
        if (!result.abandoned) {
          durations.push(result.ms);
          if (result.ms > (model === 'solo' ? SOLO_DEADLINE_MS : deadlineMs) + 1_000) late++;
        }
        const problem = check(result, stream && !bad && !unknown, jsonMode, outcomes);
        if (problem) violate(problem);
      }
    };
    await Promise.all([chaos, ...Array.from({ length: o.concurrency }, (_, i) => caller(i))]);
    clearInterval(sampler);
    log(`  soak: ${requests} requests, ${faultChanges} fault changes, ${violationCount} violations`);

    // Quiescence: nothing in flight anywhere.
    for (const s of Object.values(sims)) s.setFaults({});
    const quietBy = Date.now() + 5_000;
    while (Date.now() < quietBy && (gw.gateway.inFlight() > 0 || Object.values(sims).some((s) => s.stats().inFlight > 0))) await sleep(20);
    if (gw.gateway.inFlight() > 0) violate(`${gw.gateway.inFlight()} requests still in flight in the gateway after the run`);
    for (const [id, s] of Object.entries(sims)) if (s.stats().inFlight > 0) violate(`${s.stats().inFlight} requests still open at simulator ${id} after the run`);

    // Attempts: the metric against the simulators.
    const metricsText = await (await fetch(`${gw.url}/metrics`)).text();
    const { byEndpoint } = parseAttempts(metricsText);
    const attempts: SoakReport['attempts'] = { byEndpoint: {}, refused: 0, total: 0, agree: true };
    for (const id of ENDPOINT_IDS) {
      const m = byEndpoint[id] ?? {};
      const w = warm[id] ?? {};
      const metric = Object.values(m).reduce((a, b) => a + b, 0) - Object.values(w).reduce((a, b) => a + b, 0);
      const simulator = sims[id]!.stats().requests;
      const cancelled = (m.cancelled ?? 0) - (w.cancelled ?? 0);
      attempts.byEndpoint[id] = { metric, simulator, cancelled };
      attempts.total += metric;
      if (simulator > metric || metric > simulator + cancelled) {
        attempts.agree = false;
        violate(`attempts on ${id}: switchyard_attempts_total ${metric} (cancelled ${cancelled}) but the simulator counted ${simulator}`);
      }
    }
    attempts.refused = Object.values(byEndpoint.dead ?? {}).reduce((a, b) => a + b, 0) - Object.values(warm.dead ?? {}).reduce((a, b) => a + b, 0);
    const deadNotRefused = Object.entries(byEndpoint.dead ?? {}).filter(([k, v]) => k !== 'connection_error' && k !== 'cancelled' && v > 0);
    if (deadNotRefused.length > 0) violate(`the refusing endpoint has attempts other than connection_error: ${JSON.stringify(deadNotRefused)}`);
    for (const line of gw.errorLines()) violate(`gateway error log line: ${line.slice(0, 200)}`);
    const simulatorResults: Record<string, number> = {};
    for (const s of Object.values(sims)) for (const [k, v] of Object.entries(s.stats().byResult)) simulatorResults[k] = (simulatorResults[k] ?? 0) + v;

    // Resources: close our client sockets, let keep-alive sockets to the upstreams expire (4-5 s), compare.
    agent.destroy();
    agent = undefined;
    const settleBy = Date.now() + 8_000;
    while (Date.now() < settleBy && resources().sockets > before.sockets) await sleep(100);
    gc();
    const after = resources();
    const heapAfter = process.memoryUsage();
    if (after.sockets > before.sockets) violate(`open sockets: ${before.sockets} before the run, ${after.sockets} after it settled`);
    // Unref'd timers (opossum's) are not counted; a few may belong to the test runner.
    if (after.timers > before.timers + 2) violate(`active timers: ${before.timers} before the run, ${after.timers} after it`);
    const sorted = [...durations].sort((a, b) => a - b);
    return {
      durationMs: o.durationMs,
      requests,
      outcomes,
      violations,
      violationCount,
      deadlineMs,
      late,
      maxMs: sorted.at(-1) ?? 0,
      p99Ms: sorted[Math.max(0, Math.ceil(sorted.length * 0.99) - 1)] ?? 0,
      unhandledRejections,
      uncaughtExceptions,
      faultChanges,
      simulatorResults,
      circuitTransitions: transitions,
      attempts,
      resources: {
        socketsBefore: before.sockets,
        socketsPeak,
        socketsAfter: after.sockets,
        timersBefore: before.timers,
        timersAfter: after.timers,
        heapBeforeMb: heapBefore.heapUsed / 1048576,
        heapAfterMb: heapAfter.heapUsed / 1048576,
        rssBeforeMb: heapBefore.rss / 1048576,
        rssAfterMb: heapAfter.rss / 1048576,
        heapSamplesMb: heapSamples,
      },
    };
  } finally {
    agent?.destroy();
    await gw?.close().catch(() => undefined);
    await Promise.all(Object.values(sims).map((s) => s.close()));
    process.off('unhandledRejection', onRejection);
    process.off('uncaughtException', onException);
  }
}
