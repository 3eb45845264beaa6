import { ATTEMPT_TIMEOUT_MS, BENCH_BREAKER } from '../failover/scenarios.js';
import { BENCH_MAX_CONCURRENT } from '../failover/systems.js';
import type { Mode, Target } from '../overhead-gateway.js';
import { int, ms, pct, us } from '../stats.js';
import { doneSince } from './done-since.js';
import { failoverWins, fmtTime } from './failover.js';
import { addedAt, cellOf, libraryRow, isPaired, pairedVs, ratioAt } from './lookup.js';
import { profileBullets } from './profile.js';
import { isStream } from './profile-shares.js';
import type { BenchResults } from './results.js';
import { stillOpen } from './still-open.js';
import { earlierPortkeyRps } from './history.js';
import { addedLimitMs, TARGET } from './targets.js';

/** The prose: headline comparisons, what the profile shows, and what to change, all from the numbers. */
export function discussion(r: BenchResults): string[] {
  const out: string[] = [];
  const g = r.gateway;
  if (g) {
    const maxC = Math.max(...g.cells.map((c) => c.connections));
    for (const mode of ['plain', 'stream'] as Mode[]) {
      const get = (t: Target) => cellOf(g, mode, maxC, t);
      const sy = get('switchyard');
      const proxy = get('bare proxy');
      const peer = get('portkey');
      const direct = get('direct');
      if (!sy?.result || !proxy?.result) continue;
      const paired = pairedVs(g, mode, maxC, 'switchyard', 'bare proxy');
      const pairedCpu = pairedVs(g, mode, maxC, 'switchyard', 'bare proxy', 'cpu');
      const pairedPeer = pairedVs(g, mode, maxC, 'switchyard', 'portkey');
      const vsProxy = ratioAt(g, mode, maxC, 'switchyard', 'bare proxy')!;
      let line = paired
        ? `- **Gateway, ${mode}, ${maxC} connections:** in ${paired.n} rounds run back to back with the bare proxy, Switchyard's throughput was a median ${pct(paired.median, 0)} of the proxy's (from ${pct(paired.min, 0)} to ${pct(paired.max, 0)}). ` +
          `Best rounds: ${int(sy.result.rps)} req/s against the proxy's ${int(proxy.result.rps)} (direct to the simulator: ${direct?.result ? int(direct.result.rps) : '?'}).`
        : `- **Gateway, ${mode}, ${maxC} connections:** Switchyard serves ${int(sy.result.rps)} req/s, ${pct(vsProxy, 0)} of the bare proxy's ${int(proxy.result.rps)} ` +
          `(direct to the simulator: ${direct?.result ? int(direct.result.rps) : '?'}). It spends ${sy.cpuUsPerRequest !== undefined ? int(sy.cpuUsPerRequest) : '?'} µs of CPU per request against the proxy's ${proxy.cpuUsPerRequest !== undefined ? int(proxy.cpuUsPerRequest) : '?'} µs.`;
      if (Math.abs(vsProxy - TARGET.throughputVsProxy) < 0.03) {
        line += ` Its ${pct(vsProxy, 1)} of the proxy's throughput is within 3 points of the ${pct(TARGET.throughputVsProxy, 0)} target, closer than this host's noise between runs (the earlier runs above moved by more on unchanged code): read the verdict as "at the target", not as a margin.`;
      }
      if (pairedCpu) {
        line += ` Its CPU per request against the proxy's, round by round: median ${pairedCpu.median.toFixed(2)}× (from ${pairedCpu.min.toFixed(2)}× to ${pairedCpu.max.toFixed(2)}×); the instruction counts (bench/INSTRUCTIONS.md) are the steadier measure of the code.`;
      } else if (sy.cpuUsPerRequest !== undefined && proxy.cpuUsPerRequest !== undefined) {
        line += ` CPU per request relative to the proxy: ${(sy.cpuUsPerRequest / proxy.cpuUsPerRequest).toFixed(2)}× (this moves between runs too, see the earlier runs above; the instruction counts under "Done since the sixth run" are the steadier measure of a change).`;
      }
      if (peer?.result) {
        const ratio = ratioAt(g, mode, maxC, 'switchyard', 'portkey')!;
        line += ` Portkey's best round: ${int(peer.result.rps)} req/s (${peer.cpuUsPerRequest !== undefined ? int(peer.cpuUsPerRequest) : '?'} µs CPU per request): Switchyard is ${ratio.toFixed(2)}× Portkey${pairedPeer ? ` (median of the rounds, from ${pairedPeer.min.toFixed(2)}× to ${pairedPeer.max.toFixed(2)}×)` : ''}${ratio < 1 ? ', i.e. **Portkey is faster here**' : ratio < TARGET.throughputVsPeer ? `, short of the ${TARGET.throughputVsPeer}× target` : ''}.`;
        const ceiling = pairedVs(g, mode, maxC, 'bare proxy', 'portkey');
        if (ceiling) {
          line += ` The bare proxy itself, which parses nothing, was a median ${ceiling.median.toFixed(2)}× Portkey in the same rounds (from ${ceiling.min.toFixed(2)}× to ${ceiling.max.toFixed(2)}×)`;
          line +=
            ceiling.median < TARGET.throughputVsPeer
              ? `: on this machine the ${TARGET.throughputVsPeer}× is beyond the limit row, what any Node gateway could reach.`
              : `: here the limit row itself reached the ${TARGET.throughputVsPeer}×, which a gateway that parses the answers could meet only at ${((100 * TARGET.throughputVsPeer) / ceiling.median).toFixed(0)} % of the proxy's throughput.`;
        }
        const earlier = earlierPortkeyRps(mode);
        const best = Math.max(...earlier);
        if (ratio >= TARGET.throughputVsPeer && best > peer.result.rps) {
          line += ` Portkey's own throughput has moved between ${int(Math.min(...earlier))} and ${int(best)} req/s in the earlier runs; against its best, this run's gateway would be ${(sy.result.rps / best).toFixed(2)}×, so the ${TARGET.throughputVsPeer}× is met here partly because Portkey measured slow.`;
        }
      }
      out.push(line);
    }
    for (const mode of ['plain', 'stream'] as Mode[]) {
      const c1 = cellOf(g, mode, 1, 'switchyard')?.result;
      const d1 = cellOf(g, mode, 1, 'direct')?.result;
      const p1 = cellOf(g, mode, 1, 'bare proxy')?.result;
      if (!c1 || !d1 || !p1) continue;
      const added = (t: Target, q: 'p50' | 'p99') => addedAt(g, mode, 1, t, 'direct', q);
      let line =
        `- **Latency at concurrency 1 (${mode}${isPaired(g) ? ', medians of paired rounds' : ''}):** the gateway adds ${ms(added('switchyard', 'p50'))} at p50 and ${ms(added('switchyard', 'p99'))} at p99; ` +
        `the bare proxy adds ${ms(added('bare proxy', 'p50'))} and ${ms(added('bare proxy', 'p99'))}.`;
      // A miss on a host whose speed drifts: say how much of the added latency any proxy paid in this run.
      for (const q of ['p50', 'p99'] as const) {
        const sy = added('switchyard', q);
        const px = added('bare proxy', q);
        if (sy === undefined || px === undefined || sy <= addedLimitMs(q)) continue;
        line += ` Missed here: the bare proxy, which only pipes bytes, already added ${ms(px)} at ${q} in this run; Switchyard added ${ms(sy - px)} more.`;
      }
      out.push(line);
    }
  }
  const lib = libraryRow(r, 'native');
  const overSdk = libraryRow(r, 'sdk');
  const overNative = libraryRow(r, 'native', 'native transport');
  const overSdkStream = libraryRow(r, 'sdk', 'openai', 'stream');
  if (lib) {
    const added = lib.router.p50 - lib.bare.p50;
    out.push(
      `- **Library:** as shipped, a router call ${added < 0 ? `takes ${us(-added)} less` : `adds ${us(added)}`} at the median than a bare openai client's (paired ${us(lib.pairedMedianMs)}) and costs ${int(lib.routerCpuUs)} µs of CPU against the bare call's ${int(lib.bareCpuUs)}: ` +
        'its default transport (undici\'s pool, the gateway\'s) is that much cheaper than the SDK\'s fetch. ' +
        (overNative
          ? `The router's own bookkeeping, against the same transport called alone, is ${us(overNative.router.p50 - overNative.bare.p50)} at the median (paired ${us(overNative.pairedMedianMs)}), ${int(overNative.routerCpuUs - overNative.bareCpuUs)} µs of CPU. `
          : '') +
        (overSdk
          ? `Over the SDK transport, through the same openai client as the bare call, it adds ${us(overSdk.router.p50 - overSdk.bare.p50)} (paired ${us(overSdk.pairedMedianMs)}), ${int(overSdk.routerCpuUs - overSdk.bareCpuUs)} µs of CPU: there each attempt needs an AbortSignal, which the SDK links to a controller of its own.`
          : '') +
        (overSdkStream
          ? ` Streamed over the SDK transport it adds ${us(overSdkStream.router.p50 - overSdkStream.bare.p50)} (paired ${us(overSdkStream.pairedMedianMs)}): each streamed answer also passes through the size limit's metered body (src/endpoint/bounded-fetch.ts), which an answer of a declared length, such as the simulator's plain ones, skips.`
          : ''),
    );
  }
  profileBullets(r, out);
  const p = r.profiles?.find((x) => !isStream(x)) ?? r.profiles?.[0];
  if (p) {
    out.push('');
    doneSince(p, out);
    stillOpen(r, p, out);
  }
  const f = r.failover;
  if (f) {
    const scenarios = [...new Map(f.map((x) => [x.scenario.id, x.scenario])).values()];
    const wins = scenarios
      .map((s) => ({ s, w: failoverWins(f.filter((x) => x.scenario.id === s.id)) }))
      .filter((x) => x.w.length > 0)
      .map(({ s, w }) => `${s.short ?? s.id}: ${w.map((x) => `${x.measure} (${x.system} ${x.other} against Switchyard's best ${x.switchyard})`).join('; ')}`);
    const syStops = f
      .filter((x) => x.system === 'switchyard (library)' && !x.missing && x.stopMs !== undefined)
      .map((x) => `${x.scenario.short ?? x.scenario.id}: ${fmtTime(x.stopMs)}`);
    const othersNever = f.filter((x) => !x.system.startsWith('switchyard') && !x.missing && x.stopMs === null).length;
    const othersStopped = f.filter((x) => !x.system.startsWith('switchyard') && !x.missing && x.stopMs !== undefined).length;
    out.push(
      `- **Failover:** Switchyard (library) stopped calling the broken primary after ${syStops.join(', ')} (from the fault's start); afterwards only its probes reached it (half-open probes, or one call when a Retry-After ran out); ` +
        `the naive pattern and Portkey kept calling it on every request (they never stopped in ${othersNever} of ${othersStopped} runs), and the naive pattern with the SDK's default retries paid its timeout and backoff up to three times per request. ` +
        (wins.length ? `Where another system does better: ${wins.join('. ')}.` : 'No other system did better than Switchyard on any measure.'),
    );
    const hang = f.find((x) => x.scenario.id === 'hang' && x.system === 'switchyard (library)' && !x.missing);
    const capped = f.find((x) => x.scenario.id === 'hang' && x.system.startsWith('switchyard (library, maxConcurrent') && !x.missing);
    if (hang) {
      out.push(
        `- **Black hole:** a breaker learns about a hang only when attempts time out, so Switchyard's callers paid the full ${ATTEMPT_TIMEOUT_MS} ms timeout ` +
          `until the circuit opened, ${fmtTime(hang.stopMs)} after the hang began (${int(hang.wasted)} requests; p99 ${ms(hang.latency.p99)}), and none after it (p50 ${ms(hang.latency.p50)}). ` +
          'Everything sent in that first timeout period piles up on the dead endpoint.' +
          (capped
            ? ` With \`maxConcurrent: ${BENCH_MAX_CONCURRENT}\` on each endpoint (the row "${capped.system}"), at most ${BENCH_MAX_CONCURRENT} callers waited on it at a time and the rest went to the fallback at once: ` +
              `${int(capped.wasted)} requests paid the timeout, against ${int(hang.wasted)} without the cap (p50 ${ms(capped.latency.p50)}, p99 ${ms(capped.latency.p99)}). ` +
              '(Its "stop" column is the first quiet gap: with the cap, a slot freed by a timeout can let a few more in before the circuit has counted enough failures to open.) ' +
              'The cap has to sit above the endpoint\'s healthy concurrency (its rate times its latency), or healthy traffic is shed to the fallback too.'
            : ''),
      );
    }
    const rec = f.find((x) => x.scenario.id === 'recovery' && x.system === 'switchyard (library)' && !x.missing);
    if (rec && typeof rec.returnMs === 'number') {
      out.push(
        `- **Recovery:** traffic went back to the primary ${fmtTime(rec.returnMs)} after it recovered, because each failed half-open probe doubled the open period ` +
          `(${BENCH_BREAKER.resetTimeoutMs} → ${BENCH_BREAKER.resetTimeoutMs * 2} → ${BENCH_BREAKER.resetTimeoutMs * 4} ms, capped at ${BENCH_BREAKER.maxResetTimeoutMs}) during the outage; ` +
          'the naive pattern and Portkey, which never stopped calling it, were back at once. That is the price of not hammering a dead endpoint; `backoffMultiplier` and `maxResetTimeoutMs` set it.',
      );
    }
  }
  const s = r.soak;
  if (s) {
    out.push(
      `- **Chaos soak:** ${int(s.requests)} requests, ${s.violationCount === 0 ? 'no invariant violated' : `**${s.violationCount} violations**`}; ` +
        `attempts metric ${s.attempts.agree ? 'agrees with' : '**disagrees with**'} the simulators; sockets ${s.resources.socketsBefore} → ${s.resources.socketsAfter}, timers ${s.resources.timersBefore} → ${s.resources.timersAfter}, heap after GC ${s.resources.heapBeforeMb.toFixed(1)} → ${s.resources.heapAfterMb.toFixed(1)} MB.`,
    );
  }
  return out;
}
