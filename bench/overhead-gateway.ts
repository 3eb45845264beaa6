import { mkdirSync, writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { DIST, ensureBuild } from './build.js';
import { runLoad, type LoadResult } from './load.js';
import { fallbackConfig, tryStartPeer, type PeerInstall } from './peer.js';
import { spawnChild, type Child, type ProcessProbe, type SpawnOptions } from './procs.js';

/*
 * What the gateway costs when nothing fails: the same requests sent straight to the simulator, through the
 * bare keep-alive proxy, through `switchyard serve`, and through Portkey (fallback config, two targets), at
 * several concurrencies, plain and streamed. Each server runs in a process of its own; the load generator
 * is this process. Targets are run in a rotating order, `rounds` times, and the best round (highest
 * throughput) of each is kept, so a burst of unrelated work on the machine hurts no target more than another.
 */

export type Target = 'direct' | 'bare proxy' | 'switchyard' | 'portkey';
const TARGETS: Target[] = ['direct', 'bare proxy', 'switchyard', 'portkey'];
export type Mode = 'plain' | 'stream';

export interface GatewayCell {
  mode: Mode;
  connections: number;
  target: Target;
  result?: LoadResult;
  /** CPU time of the target's own process per response (µs), in the kept round: the simulator's for `direct`. */
  cpuUsPerRequest?: number;
  /** Why there is no result. */
  missing?: string;
  /** Every round's throughput, in round order: round i of every target of a cell group ran back to back. */
  rounds: number[];
  /** Every round's latency quantiles (ms), aligned with `rounds`. */
  latencyRounds: { p50: number; p99: number }[];
}

export interface GatewayOverhead {
  cells: GatewayCell[];
  durationMs: number;
  rounds: number;
  peer: PeerInstall;
}

export const TMP_DIR = fileURLToPath(new URL('./.tmp/', import.meta.url));

/** The upstreams' processes and a config (also written to a file) routing `chat` over them (primary -> secondary). */
export async function startUpstreams() {
  const sims = await spawnChild('sim-child.ts', ['a', 'b']);
  const urls = sims.ready.urls as { a: string; b: string };
  const config = {
    providers: { a: { baseURL: urls.a, apiKey: 'sk-bench-a' }, b: { baseURL: urls.b, apiKey: 'sk-bench-b' } },
    endpoints: { primary: { provider: 'a', model: 'sim-model' }, secondary: { provider: 'b', model: 'sim-model' } },
    routes: { chat: { endpoints: ['primary', 'secondary'] } },
  };
  mkdirSync(TMP_DIR, { recursive: true });
  const configPath = `${TMP_DIR}overhead-config.json`;
  writeFileSync(configPath, JSON.stringify(config, null, 2));
  return { sims, urls, config, configPath };
}

/** `switchyard serve --config FILE` from the compiled build, in a child process run by plain node. */
export async function startGateway(configPath: string, opts: Pick<SpawnOptions, 'nodeArgs' | 'wrapper' | 'readyTimeoutMs'> = {}): Promise<Child> {
  await ensureBuild();
  return spawnChild('gateway-child.mjs', [DIST, configPath], { ...opts, tsx: false, env: { LOG_LEVEL: 'info' } });
}

const MESSAGES = [{ role: 'user', content: 'Say hello in one short sentence.' }];
export function body(model: string, stream: boolean): string {
  return JSON.stringify({ model, messages: MESSAGES, ...(stream ? { stream: true } : {}) });
}

interface Endpoint {
  url: string;
  model: string;
  headers?: Record<string, string>;
  /** The process serving it, for its CPU time. */
  proc: Child;
}

export async function gatewayOverhead(opts: {
  connections: number[];
  durationMs: number;
  warmupMs: number;
  /** Load on every target, plain and streamed, before the first measurement. */
  initialWarmupMs: number;
  /**
   * Rounds per cell. The targets are read as medians of per-round comparisons: a ratio or difference of two
   * runs seconds apart is steadier than one of two best rounds taken minutes apart on a host whose speed drifts.
   */
  rounds: number;
  peerInstall: PeerInstall;
  log: (line: string) => void;
}): Promise<GatewayOverhead> {
  const { sims, urls, configPath } = await startUpstreams();
  const stops: (() => Promise<unknown>)[] = [() => sims.stop()];
  try {
    const gateway = await startGateway(configPath);
    stops.push(() => gateway.stop());
    const proxy = await spawnChild('bare-proxy.ts', [urls.a.replace(/\/v1$/, '')]);
    stops.push(() => proxy.stop());
    const { peer, missing: peerMissing } = await tryStartPeer(opts.peerInstall);
    if (peer) stops.push(() => peer.stop());
    const endpoints: Record<Target, Endpoint | undefined> = {
      direct: { url: `${urls.a}/chat/completions`, model: 'sim-model', proc: sims },
      'bare proxy': { url: `${proxy.ready.url as string}/v1/chat/completions`, model: 'sim-model', proc: proxy },
      switchyard: { url: `${gateway.ready.url as string}/v1/chat/completions`, model: 'chat', proc: gateway },
      portkey: peer
        ? {
            url: `${peer.url}/v1/chat/completions`,
            model: 'sim-model',
            proc: peer.child,
            headers: { 'x-portkey-config': fallbackConfig([{ baseURL: urls.a }, { baseURL: urls.b }]) },
          }
        : undefined,
    };

    const cells: GatewayCell[] = [];
    const cell = (mode: Mode, connections: number, target: Target) => {
      let c = cells.find((x) => x.mode === mode && x.connections === connections && x.target === target);
      if (!c) cells.push((c = { mode, connections, target, rounds: [], latencyRounds: [] }));
      return c;
    };
    // Every server gets the same warm-up before the first measured cell, so that no target's first cell
    // (plain, c=1) pays for its JIT compiling under load; and at the highest concurrency too, whose first
    // seconds a server that allocates spends growing its heap (seen as several seconds of slower requests
    // with the GC threads busy, every time a fresh gateway first met 32 connections).
    for (const target of TARGETS) {
      const ep = endpoints[target];
      if (!ep) continue;
      for (const connections of [8, Math.max(...opts.connections)]) {
        for (const stream of [false, true]) {
          await runLoad({ url: ep.url, body: body(ep.model, stream), connections, durationMs: opts.initialWarmupMs, ...(ep.headers ? { headers: ep.headers } : {}) });
        }
      }
    }
    for (const mode of ['plain', 'stream'] as Mode[]) {
      for (const connections of opts.connections) {
        for (let round = 0; round < opts.rounds; round++) {
          // Forwards, then backwards: Switchyard always runs right beside the bare proxy and Portkey, and
          // neither side of a pair always goes first.
          const order = round % 2 === 0 ? TARGETS : [...TARGETS].reverse();
          for (const target of order) {
            const c = cell(mode, connections, target);
            const ep = endpoints[target];
            if (!ep) {
              c.missing = peerMissing ?? 'not available';
              continue;
            }
            const load = { url: ep.url, body: body(ep.model, mode === 'stream'), connections, ...(ep.headers ? { headers: ep.headers } : {}) };
            await runLoad({ ...load, durationMs: opts.warmupMs });
            const before = await ep.proc.call<ProcessProbe>('probe');
            const r = await runLoad({ ...load, durationMs: opts.durationMs });
            const after = await ep.proc.call<ProcessProbe>('probe');
            const cpu = (after.cpuUs - before.cpuUs) / Math.max(1, r.responses);
            c.rounds.push(Math.round(r.rps));
            c.latencyRounds.push({ p50: r.latency.p50, p99: r.latency.p99 });
            if (!c.result || r.rps > c.result.rps) {
              c.result = r;
              c.cpuUsPerRequest = cpu;
            }
            opts.log(
              `  ${mode.padEnd(6)} c=${String(connections).padEnd(2)} ${target.padEnd(10)} ${r.rps.toFixed(0).padStart(6)} req/s  p50 ${r.latency.p50.toFixed(3)} ms  p99 ${r.latency.p99.toFixed(3)} ms  cpu ${cpu.toFixed(0)} µs/req${r.non2xx || r.errors ? `  (non-2xx ${r.non2xx}, errors ${r.errors})` : ''}`,
            );
          }
        }
      }
    }
    return { cells, durationMs: opts.durationMs, rounds: opts.rounds, peer: opts.peerInstall };
  } finally {
    for (const stop of stops.reverse()) await stop().catch(() => undefined);
  }
}

