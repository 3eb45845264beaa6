import { closedPort, startSimulator, type FaultSpec, type Simulator } from '../../src/simulator/index.js';
import { setTimeout as sleep } from 'node:timers/promises';
import { withTimeout } from '../procs.js';
import { tryStartPeer, type Peer, type PeerInstall } from '../peer.js';
import { ms, pct, summarize, time, type Summary } from '../stats.js';
import { STOP_GAP_MS, scenarios, type Scenario } from './scenarios.js';
import { SYSTEMS, type System, type SystemRun } from './systems.js';

/*
 * What Switchyard buys when things fail. Each scenario breaks the primary of a two-endpoint chain in one
 * way, and each system gets the same open-loop traffic (a request every 1000/rate ms, whatever happened to
 * the previous ones, as real callers do), with fresh simulators. Attempts on the primary are counted by
 * the simulator. For a port that refuses connections, where no simulator can count, and for the timeline of
 * calls, each system's own calls are logged: Switchyard's attempts from its router's `attempt:start` events
 * (whatever transport it uses), the naive pattern's by a logging fetch, Portkey's by a preload in its process.
 */

export interface FailoverResult {
  scenario: Scenario;
  system: string;
  /** Why the system did not run (Portkey not installed). */
  missing?: string;
  requests: number;
  ok: number;
  latency: Summary;
  /** Calls that reached the primary (simulator count; the system's own log of calls for a refused port). */
  primaryAttempts: number;
  /** Of those, the ones that did not produce a usable answer. */
  wasted: number;
  /** ms from the fault's start to the last call before traffic stopped; null = never stopped. */
  stopMs: number | null | undefined;
  /** ms from the primary's recovery to the first request it answered; null = not within the run. */
  returnMs: number | null | undefined;
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

async function runScenario(
  scenario: Scenario,
  system: System,
  opts: { durationMs: number; rate: number; peer?: Peer | undefined; seed: number },
): Promise<FailoverResult> {
  let primarySim: Simulator | undefined;
  let secondarySim: Simulator | undefined;
  let run: SystemRun | undefined;
  try {
    primarySim = scenario.primary === 'refused' ? undefined : await startSimulator({ name: 'primary', seed: opts.seed });
    secondarySim = await startSimulator({ name: 'secondary', seed: opts.seed + 1 });
    const primaryURL = primarySim?.url ?? `http://127.0.0.1:${await closedPort()}/v1`;
    const primaryHost = new URL(primaryURL).host;
    run = await system.start({ primaryURL, secondaryURL: secondarySim.url, peer: opts.peer });

    // Warm-up while everything is healthy (connection pools, JIT; the breaker's window sees successes, as
    // it would in production before an incident). Not counted.
    if (primarySim) for (let i = 0; i < 10; i++) await run.call().catch(() => undefined);
    run.fetches();
    primarySim?.resetStats();
    secondarySim.resetStats();

    primarySim?.setFaults(scenario.primary as FaultSpec);
    secondarySim.setFaults(scenario.secondary ?? {});
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
      const done = (r: { ok: boolean; answeredBy?: string | undefined }) => void outcomes.push({ ...r, ms: performance.now() - t, started });
      inflight.push(run.call().then(done, () => done({ ok: false })));
    }
    // Requests still unanswered after a minute count as failures.
    await withTimeout(Promise.all(inflight), 60_000, `${scenario.id} / ${system.name}`).catch(() => undefined);
    const calls = run.fetches().filter(([, host]) => host === primaryHost).map(([t]) => t).sort((a, b) => a - b);
    const stats = primarySim?.stats();
    // The fault ends when the primary recovers, or with the run.
    const faultEnd = t0 + (scenario.recoversAtMs ?? opts.durationMs);
    const backAt = Math.min(...outcomes.filter((o) => o.answeredBy === 'primary' && o.started >= faultEnd).map((o) => o.started));
    return {
      scenario,
      system: system.name,
      requests: n,
      ok: outcomes.filter((o) => o.ok).length,
      latency: summarize(outcomes.map((o) => o.ms)),
      primaryAttempts: stats?.requests ?? calls.length,
      wasted: stats ? stats.requests - (stats.byResult.ok ?? 0) : calls.length,
      stopMs: scenario.repeating ? undefined : stopTime(calls, t0, faultEnd),
      returnMs: scenario.recoversAtMs === undefined ? undefined : Number.isFinite(backAt) ? backAt - faultEnd : null,
    };
  } finally {
    await run?.close().catch(() => undefined);
    await Promise.all([primarySim?.close(), secondarySim?.close()]);
  }
}

/** Every scenario on every system; Portkey's rows say why they are missing when it cannot run. */
export async function failover(opts: { durationMs: number; rate: number; peerInstall: PeerInstall; log: (l: string) => void }): Promise<FailoverResult[]> {
  const { peer, missing } = await tryStartPeer(opts.peerInstall, true);
  const out: FailoverResult[] = [];
  let seed = 100;
  try {
    for (const scenario of scenarios(opts.durationMs)) {
      opts.log(`  ${scenario.title}`);
      for (const system of SYSTEMS) {
        if (system.name.startsWith('portkey') && !peer) {
          out.push({ scenario, system: system.name, missing: missing!, requests: 0, ok: 0, latency: summarize([]), primaryAttempts: 0, wasted: 0, stopMs: undefined, returnMs: undefined });
          continue;
        }
        const r = await runScenario(scenario, system, { durationMs: opts.durationMs, rate: opts.rate, peer, seed: seed++ });
        out.push(r);
        opts.log(
          `    ${system.name}: ok ${pct(r.ok / r.requests)}, p50 ${ms(r.latency.p50)}, p99 ${ms(r.latency.p99)}, primary ${r.primaryAttempts} (wasted ${r.wasted}), stop ${time(r.stopMs)}, return ${time(r.returnMs)}`,
        );
      }
    }
  } finally {
    await peer?.proc.stop();
  }
  return out;
}
