import { runLoad } from './load.js';
import { fallbackConfig, tryStartPeer, type PeerInstall } from './peer.js';
import type { Proc } from './procs.js';
import { body, MODES, startGateway, startProxy, startUpstreams, type Mode } from './servers.js';

/*
 * What the gateway costs when nothing fails: the same requests sent straight to the simulator, through the
 * bare keep-alive proxy, through `switchyard serve`, and through Portkey (fallback config, two targets), at
 * several concurrencies, plain and streamed. Each server runs in a process of its own; the load generator is
 * this process. Every round runs all targets back to back, forwards then backwards, so that a burst of
 * unrelated work on the machine hurts no target more than another; verdicts are medians of paired rounds.
 */

export type Target = 'direct' | 'bare proxy' | 'switchyard' | 'portkey';
const TARGETS: Target[] = ['direct', 'bare proxy', 'switchyard', 'portkey'];

export interface GatewayCell {
  mode: Mode;
  connections: number;
  target: Target;
  /** Why there is no result. */
  missing?: string;
  /**
   * Every round in order: throughput, latency quantiles (ms), and CPU time of the target's own process per
   * response (µs; the simulator's for `direct`).
   */
  rounds: { rps: number; p50: number; p99: number; cpuUs: number }[];
}

export async function gatewayOverhead(opts: {
  connections: number[];
  durationMs: number;
  warmupMs: number;
  /** Load on every target, plain and streamed, before the first measurement. */
  initialWarmupMs: number;
  rounds: number;
  peerInstall: PeerInstall;
  log: (line: string) => void;
}): Promise<GatewayCell[]> {
  const { sims, urls, configPath } = await startUpstreams();
  const gateway = await startGateway(configPath);
  const proxy = await startProxy(urls.a.replace(/\/v1$/, ''));
  const { peer, missing } = await tryStartPeer(opts.peerInstall);
  const endpoints: Record<Target, { url: string; model: string; proc: Proc; headers?: Record<string, string> } | undefined> = {
    direct: { url: urls.a, model: 'sim-model', proc: sims },
    'bare proxy': { url: `${proxy.url}/v1`, model: 'sim-model', proc: proxy },
    switchyard: { url: `${gateway.url}/v1`, model: 'chat', proc: gateway },
    portkey: peer && { url: `${peer.url}/v1`, model: 'sim-model', proc: peer.proc, headers: { 'x-portkey-config': fallbackConfig([{ baseURL: urls.a }, { baseURL: urls.b }]) } },
  };
  const load = (target: Target, mode: Mode, connections: number, durationMs: number) => {
    const ep = endpoints[target]!;
    return runLoad({ url: `${ep.url}/chat/completions`, body: body(ep.model, mode === 'stream'), headers: ep.headers, connections, durationMs });
  };
  // Every server gets the same warm-up before the first measured cell, so that no target's first cell pays for
  // its JIT compiling under load; at the highest concurrency too, whose first seconds a server that allocates
  // spends growing its heap (seen as seconds of slower requests every time a fresh gateway met 32 connections).
  for (const target of TARGETS.filter((t) => endpoints[t])) {
    for (const connections of [8, Math.max(...opts.connections)]) {
      for (const mode of MODES) await load(target, mode, connections, opts.initialWarmupMs);
    }
  }
  const cells: GatewayCell[] = [];
  for (const mode of MODES) {
    for (const connections of opts.connections) {
      const group = TARGETS.map((target): GatewayCell => ({ mode, connections, target, rounds: [], ...(endpoints[target] ? {} : { missing: missing ?? 'not available' }) }));
      cells.push(...group);
      for (let round = 0; round < opts.rounds; round++) {
        for (const c of round % 2 === 0 ? group : [...group].reverse()) {
          if (c.missing) continue;
          const proc = endpoints[c.target]!.proc;
          await load(c.target, mode, connections, opts.warmupMs);
          const before = proc.cpuUs();
          const r = await load(c.target, mode, connections, opts.durationMs);
          const cpu = (proc.cpuUs() - before) / Math.max(1, r.responses);
          c.rounds.push({ rps: r.rps, p50: r.latency.p50, p99: r.latency.p99, cpuUs: cpu });
          opts.log(
            `  ${mode.padEnd(6)} c=${String(connections).padEnd(2)} ${c.target.padEnd(10)} ${r.rps.toFixed(0).padStart(6)} req/s  p50 ${r.latency.p50.toFixed(3)} ms  p99 ${r.latency.p99.toFixed(3)} ms  cpu ${cpu.toFixed(0)} µs/req${r.non2xx || r.errors ? `  (non-2xx ${r.non2xx}, errors ${r.errors})` : ''}`,
          );
        }
      }
    }
  }
  return cells;
}
