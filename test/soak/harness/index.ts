import { Agent } from 'node:http';
import type { SwitchyardConfigInput } from '../../../src/config/index.js';
import { closedPort, startSimulator, type Simulator } from '../../../src/simulator/index.js';
import { mulberry32 } from '../../../src/simulator/random.js';
import { startInProcessGateway, type InProcessGateway } from './inprocess-gateway.js';
import { check } from './check.js';
import { send, type Sent } from './client.js';
import { between, pick, randomSpec } from './faults.js';
import { gc, parseAttempts, resources } from './process-state.js';

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
  requests: number;
  /** Requests by what came back, e.g. `plain 200`, `stream 200 [DONE]`, `stream 200 error event`, `plain 502`. */
  outcomes: Record<string, number>;
  violations: string[];
  violationCount: number;
  maxMs: number;
  p99Ms: number;
  unhandledRejections: number;
  uncaughtExceptions: number;
  faultChanges: number;
  circuitTransitions: Record<string, number>;
  attempts: { byEndpoint: Record<string, { metric: number; simulator: number; cancelled: number }>; refused: number; agree: boolean };
  /** Sockets and timers of this process, and heap used after GC (MB): after warm-up, and after the run. */
  resources: { socketsBefore: number; socketsAfter: number; timersBefore: number; timersAfter: number; heapBeforeMb: number; heapAfterMb: number };
}

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
 * - when traffic stops, nothing is left in flight (gateway, simulators, the router's count of attempts per
 *   endpoint, which `maxConcurrent` reads), sockets and timers come back to
 *   where they were, and the heap after GC is where it was after warm-up (reported; judged by the bench);
 * - `switchyard_attempts_total`, summed per endpoint from GET /metrics, matches what each simulator
 *   counted. The refusing endpoint is left out (a refused connection never reaches anyone), and an attempt
 *   cancelled by its caller or the deadline may have been cut before its request reached the simulator, so
 *   per endpoint: simulator <= metric <= simulator + cancelled attempts.
 */

const ENDPOINT_IDS = ['a', 'b', 'c'] as const;
const SOLO_DEADLINE_MS = 600;
const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

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
      // `b` has a concurrency cap low enough to be reached: its slots must all come back when traffic stops.
      endpoints: { a: endpoint('a'), b: { ...endpoint('b'), maxConcurrent: 4 }, c: endpoint('c'), dead: endpoint('dead') },
      // `solo` has a deadline shorter than two attempt timeouts: the deadline path (504, streams cut) gets exercised.
      routes: { chat: { endpoints: ['a', 'b', 'c'] }, edge: { endpoints: ['dead', 'c', 'b'] }, solo: { endpoints: ['b', 'c'], deadlineMs: SOLO_DEADLINE_MS } },
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
    let requests = 0;
    let faultChanges = 0;
    const end = Date.now() + o.durationMs;

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
        if (!result.abandoned) durations.push(result.ms);
        const problem = check(result, stream && !bad && !unknown, jsonMode, outcomes, ENDPOINT_IDS);
        if (problem) violate(problem);
      }
    };
    await Promise.all([chaos, ...Array.from({ length: o.concurrency }, (_, i) => caller(i))]);
    log(`  soak: ${requests} requests, ${faultChanges} fault changes, ${violationCount} violations`);

    // Quiescence: nothing in flight anywhere.
    for (const s of Object.values(sims)) s.setFaults({});
    const quietBy = Date.now() + 5_000;
    while (Date.now() < quietBy && (gw.gateway.inFlight() > 0 || Object.values(sims).some((s) => s.stats().inFlight > 0))) await sleep(20);
    if (gw.gateway.inFlight() > 0) violate(`${gw.gateway.inFlight()} requests still in flight in the gateway after the run`);
    for (const [id, s] of Object.entries(sims)) if (s.stats().inFlight > 0) violate(`${s.stats().inFlight} requests still open at simulator ${id} after the run`);
    for (const c of gw.router.circuits()) if (c.inFlight > 0) violate(`${c.inFlight} attempts still counted in flight on endpoint ${c.endpoint} after the run`);

    // Attempts: the metric against the simulators.
    const metricsText = await (await fetch(`${gw.url}/metrics`)).text();
    const { byEndpoint } = parseAttempts(metricsText);
    const attempts: SoakReport['attempts'] = { byEndpoint: {}, refused: 0, agree: true };
    for (const id of ENDPOINT_IDS) {
      const m = byEndpoint[id] ?? {};
      const w = warm[id] ?? {};
      const metric = Object.values(m).reduce((a, b) => a + b, 0) - Object.values(w).reduce((a, b) => a + b, 0);
      const simulator = sims[id]!.stats().requests;
      const cancelled = (m.cancelled ?? 0) - (w.cancelled ?? 0);
      attempts.byEndpoint[id] = { metric, simulator, cancelled };
      if (simulator > metric || metric > simulator + cancelled) {
        attempts.agree = false;
        violate(`attempts on ${id}: switchyard_attempts_total ${metric} (cancelled ${cancelled}) but the simulator counted ${simulator}`);
      }
    }
    attempts.refused = Object.values(byEndpoint.dead ?? {}).reduce((a, b) => a + b, 0) - Object.values(warm.dead ?? {}).reduce((a, b) => a + b, 0);
    const deadNotRefused = Object.entries(byEndpoint.dead ?? {}).filter(([k, v]) => k !== 'connection_error' && k !== 'cancelled' && v > 0);
    if (deadNotRefused.length > 0) violate(`the refusing endpoint has attempts other than connection_error: ${JSON.stringify(deadNotRefused)}`);
    for (const line of gw.errorLines()) violate(`gateway error log line: ${line.slice(0, 200)}`);

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
    durations.sort((a, b) => a - b);
    return {
      requests,
      outcomes,
      violations,
      violationCount,
      maxMs: durations.at(-1) ?? NaN,
      p99Ms: durations[Math.max(0, Math.ceil(durations.length * 0.99) - 1)] ?? NaN,
      unhandledRejections,
      uncaughtExceptions,
      faultChanges,
      circuitTransitions: transitions,
      attempts,
      resources: {
        socketsBefore: before.sockets,
        socketsAfter: after.sockets,
        timersBefore: before.timers,
        timersAfter: after.timers,
        heapBeforeMb: heapBefore.heapUsed / 1048576,
        heapAfterMb: heapAfter.heapUsed / 1048576,
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
