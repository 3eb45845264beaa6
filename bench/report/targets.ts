import { int, mb, ms, pct, table, us } from '../stats.js';
import type { GatewayOverhead, Mode } from '../overhead-gateway.js';
import { addedAt, cellOf, libraryRow, pairedAdded, pairedVs, ratioAt } from './lookup.js';
import { secondHalfGrowth } from './memory.js';
import type { BenchResults } from './results.js';

export const TARGET = {
  throughputVsProxy: 0.75,
  throughputVsPeer: 10,
  p50AddedMs: 0.3,
  p99AddedMs: 1.5,
  libraryUs: 25,
};

/** The limit on latency added at concurrency 1, by quantile. */
export const addedLimitMs = (q: 'p50' | 'p99') => (q === 'p50' ? TARGET.p50AddedMs : TARGET.p99AddedMs);

const ceilingNote = (g: GatewayOverhead, mode: Mode, c: number) => {
  const ceiling = pairedVs(g, mode, c, 'bare proxy', 'portkey');
  if (!ceiling) return '';
  const measured = `. The bare proxy itself: ${ceiling.median.toFixed(2)}× Portkey (from ${ceiling.min.toFixed(2)}× to ${ceiling.max.toFixed(2)}×)`;
  return ceiling.median < TARGET.throughputVsPeer ? `${measured}, so the ${TARGET.throughputVsPeer}× is beyond any Node gateway on this machine` : measured;
};

const verdict = (ok: boolean | undefined) => (ok === undefined ? 'not measured' : ok ? '**met**' : '**missed**');

export function targetsSection(r: BenchResults, out: string[]): void {
  const g = r.gateway;
  const rows: string[][] = [];
  const maxC = g ? Math.max(...g.cells.map((c) => c.connections)) : 32;
  for (const mode of ['plain', 'stream'] as Mode[]) {
    const sy = g && cellOf(g, mode, maxC, 'switchyard')?.result;
    const proxy = g && cellOf(g, mode, maxC, 'bare proxy')?.result;
    const peer = g && cellOf(g, mode, maxC, 'portkey')?.result;
    const pairedProxy = g && pairedVs(g, mode, maxC, 'switchyard', 'bare proxy');
    const pairedPeer = g && pairedVs(g, mode, maxC, 'switchyard', 'portkey');
    const vsProxy = g && ratioAt(g, mode, maxC, 'switchyard', 'bare proxy');
    const vsPeer = g && ratioAt(g, mode, maxC, 'switchyard', 'portkey');
    rows.push([
      `gateway throughput ≥ ${TARGET.throughputVsProxy * 100} % of the bare proxy, c=${maxC}, ${mode}`,
      pairedProxy
        ? `${pct(pairedProxy.median, 0)}: median of ${pairedProxy.n} rounds run back to back (rounds from ${pct(pairedProxy.min, 0)} to ${pct(pairedProxy.max, 0)}; best rounds ${int(sy!.rps)} vs ${int(proxy!.rps)} req/s)`
        : vsProxy !== undefined
          ? `${pct(vsProxy, 0)} (${int(sy!.rps)} vs ${int(proxy!.rps)} req/s)`
          : 'n/a',
      verdict(vsProxy === undefined ? undefined : vsProxy >= TARGET.throughputVsProxy),
    ]);
    rows.push([
      `gateway throughput ≥ ${TARGET.throughputVsPeer}× Portkey's, c=${maxC}, ${mode}`,
      pairedPeer
        ? `${pairedPeer.median.toFixed(2)}×: median of ${pairedPeer.n} rounds (from ${pairedPeer.min.toFixed(2)}× to ${pairedPeer.max.toFixed(2)}×; best rounds ${int(sy!.rps)} vs ${int(peer!.rps)} req/s)${ceilingNote(g, mode, maxC)}`
        : vsPeer !== undefined
          ? `${vsPeer.toFixed(2)}× (${int(sy!.rps)} vs ${int(peer!.rps)} req/s)`
          : g
            ? (cellOf(g, mode, maxC, 'portkey')?.missing ?? 'n/a')
            : 'n/a',
      verdict(vsPeer === undefined ? undefined : vsPeer >= TARGET.throughputVsPeer),
    ]);
  }
  for (const mode of ['plain', 'stream'] as Mode[]) {
    // Paired: the median over rounds of the gateway's quantile minus the direct one in the same round.
    const paired50 = g && pairedAdded(g, mode, 1, 'switchyard', 'direct', 'p50');
    const paired99 = g && pairedAdded(g, mode, 1, 'switchyard', 'direct', 'p99');
    const p50 = g && addedAt(g, mode, 1, 'switchyard', 'direct', 'p50');
    const p99 = g && addedAt(g, mode, 1, 'switchyard', 'direct', 'p99');
    const show = (v: number | undefined, p: typeof paired50) => (p ? `${ms(v)}: median of ${p.n} rounds (from ${ms(p.min)} to ${ms(p.max)})` : ms(v));
    rows.push([`gateway p50 added ≤ ${TARGET.p50AddedMs} ms, c=1, ${mode}`, show(p50, paired50), verdict(p50 === undefined ? undefined : p50 <= addedLimitMs('p50'))]);
    rows.push([`gateway p99 added ≤ ${TARGET.p99AddedMs} ms, c=1, ${mode}`, show(p99, paired99), verdict(p99 === undefined ? undefined : p99 <= addedLimitMs('p99'))]);
  }
  const lib = libraryRow(r, 'native') ?? r.library?.rows.find((x) => x.mode === 'plain');
  const overSdk = libraryRow(r, 'sdk');
  const overNative = libraryRow(r, 'native', 'native transport');
  const libAdded = lib ? lib.router.p50 - lib.bare.p50 : undefined;
  rows.push([
    `library overhead ≤ ${TARGET.libraryUs} µs median per call (plain, as shipped)`,
    lib
      ? `${us(libAdded)} (paired median ${us(lib.pairedMedianMs)}; ratio ${(lib.router.p50 / lib.bare.p50).toFixed(2)}): as shipped the router calls over undici (the \`native\` transport), which costs less than the SDK's fetch` +
        (overNative ? `. The router's own bookkeeping, against the same transport called alone: ${us(overNative.router.p50 - overNative.bare.p50)} (paired ${us(overNative.pairedMedianMs)})` : '') +
        (overSdk ? `; over the SDK transport, against the bare call's own client: ${us(overSdk.router.p50 - overSdk.bare.p50)} (paired ${us(overSdk.pairedMedianMs)})` : '')
      : 'n/a',
    verdict(libAdded === undefined ? undefined : libAdded * 1000 <= TARGET.libraryUs),
  ]);
  const m = r.memory;
  if (m) {
    const heapGrowth = (m.after.heapUsed - m.before.heapUsed) / 1048576;
    const half = secondHalfGrowth(m);
    rows.push([
      `memory flat over a long run (${int(m.completed)} requests): after it, idle and after a full GC, heap within 5 MB and RSS within 15 MB of where they were after warm-up`,
      `heap after GC ${mb(m.before.heapUsed)} → ${mb(m.after.heapUsed)}; RSS ${mb(m.before.rss)} after warm-up → ${mb(m.after.rss)} (during the run: ${half ? `${half.mid.toFixed(0)} MB mid-run, ${half.end.toFixed(0)} MB at the end, garbage not yet collected` : 'n/a'})`,
      verdict(heapGrowth < 5 && (m.after.rss - m.before.rss) / 1048576 < 15),
    ]);
  } else rows.push(['memory flat after a long run', 'n/a', verdict(undefined)]);
  out.push(table(['target (issue #5)', 'measured', 'verdict'], rows), '');
}
