/*
 * Four replicas with shared circuit state (state.store: redis) against four without (memory), same scenarios,
 * and what the shared layer adds at concurrency 1. A section of `npm run bench` (`--only=fleet`). Needs
 * `redis-server` on PATH; starts its own on a free loopback port.
 */
import { closedPort, type FaultSpec } from '../../src/simulator/index.js';
import { allUp, ask, startFleet } from '../../test/state/fleet-rig.js';
import { startProc } from '../procs.js';
import { medianRange, summarize } from '../stats.js';

let prefix = 0;
/** The tests' fleet (test/state/fleet-rig.ts) with the shipped defaults of the shared store, once every store is up. */
async function fleet(redisUrl: string | undefined, faults: FaultSpec, timeoutMs: number, replicas = 4) {
  const state = { syncIntervalMs: 1_000, commandTimeoutMs: 50 };
  const f = await startFleet({ replicas, redisUrl, keyPrefix: `bench${++prefix}`, primary: faults, endpoint: { timeoutMs }, state });
  const deadline = Date.now() + 5_000;
  while (redisUrl && !allUp(f.routers) && Date.now() < deadline) await new Promise((r) => setTimeout(r, 5));
  return f;
}

/** p50 of `n` requests one after another through one router, after 500 of warm-up. */
async function p50(redisUrl: string | undefined, n: number): Promise<number> {
  const f = await fleet(redisUrl, {}, 5_000, 1);
  const r = f.routers[0]!;
  for (let i = 0; i < 500; i++) await r.chat.completions.create(ask);
  const times: number[] = [];
  for (let i = 0; i < n; i++) {
    const t = performance.now();
    await r.chat.completions.create(ask);
    times.push(performance.now() - t);
  }
  await f.close();
  return summarize(times).p50;
}

type FleetCell = { primaryAttempts: number; ms: number };
type FleetRow = { scenario: string; shared: FleetCell; memory: FleetCell };

export interface FleetResult {
  rows: FleetRow[];
  /** Concurrency 1, healthy primary: the middle p50 of three rounds each (ms). */
  p50: { memory: number; shared: number; requests: number };
}

/** Runs the fleet scenarios, then the concurrency-1 comparison, alternated so the host's drift hits both. */
export async function fleetBench(o: { p50Requests: number }): Promise<FleetResult> {
  const port = String(await closedPort());
  const redis = await startProc(['redis-server', '--port', port, '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no'], /Ready to accept connections/);
  const redisUrl = `redis://127.0.0.1:${port}`;
  try {
    const rows: FleetRow[] = [];
    for (const [scenario, faults, timeoutMs] of [
      ['dead primary (500s)', { always: { kind: 'status', status: 500 } }, 2_000],
      ['black hole (never answers, timeout 200 ms)', { always: { kind: 'hang' } }, 200],
    ] as const) {
      const cell = async (url: string | undefined): Promise<FleetCell> => {
        const f = await fleet(url, faults as FaultSpec, timeoutMs);
        const t0 = performance.now();
        // Every replica sends ten requests one after another, all replicas at once.
        await Promise.all(f.routers.map(async (r) => {
          for (let i = 0; i < 10; i++) await r.chat.completions.create(ask);
        }));
        const ms = performance.now() - t0;
        await f.close();
        return { primaryAttempts: f.primary.stats().requests, ms };
      };
      rows.push({ scenario, shared: await cell(redisUrl), memory: await cell(undefined) });
    }
    const memory: number[] = [];
    const shared: number[] = [];
    for (let round = 0; round < 3; round++) {
      memory.push(await p50(undefined, o.p50Requests));
      shared.push(await p50(redisUrl, o.p50Requests));
    }
    return { rows, p50: { memory: medianRange(memory)!.median, shared: medianRange(shared)!.median, requests: o.p50Requests } };
  } finally {
    await redis.stop();
  }
}
