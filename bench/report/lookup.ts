import { pairedMedian, pairedRatio, type PairedRatio } from '../stats.js';
import type { LibraryRow } from '../overhead-library.js';
import type { GatewayCell, GatewayOverhead, Mode, Target } from '../overhead-gateway.js';
import type { BenchResults } from './results.js';

export function cellOf(g: GatewayOverhead, mode: Mode, c: number, t: Target): GatewayCell | undefined {
  return g.cells.find((x) => x.mode === mode && x.connections === c && x.target === t);
}

/** The plain row of the router over `transport` without the OTel SDK, against `baseline` (earlier runs: every row was `sdk` against openai). */
export function libraryRow(
  r: BenchResults,
  transport: 'native' | 'sdk',
  baseline: NonNullable<LibraryRow['baseline']> = 'openai',
  mode: LibraryRow['mode'] = 'plain',
): LibraryRow | undefined {
  return r.library?.rows.find(
    (x) => x.mode === mode && x.transport === transport && (x.baseline ?? 'openai') === baseline && !x.variant.includes('OTel SDK'),
  );
}

/**
 * Target `t` against `base` round by round at one concurrency: throughput (`rps`) or CPU per request (`cpu`);
 * undefined unless `c` was paired.
 */
export function pairedVs(g: GatewayOverhead, mode: Mode, c: number, t: Target, base: Target, field: 'rps' | 'cpu' = 'rps'): PairedRatio | undefined {
  const a = cellOf(g, mode, c, t);
  const b = cellOf(g, mode, c, base);
  if (!isPaired(g) || !a || !b) return undefined;
  return field === 'rps' ? pairedRatio(a.rounds, b.rounds) : pairedRatio(a.cpuRounds ?? [], b.cpuRounds ?? []);
}

/** Whether the run measured its cells in paired rounds (from the thirteenth run). */
export function isPaired(g: GatewayOverhead): boolean {
  return g.paired === 'all';
}

/** Latency added by `t` over `base` (ms) at quantile `q`, round by round; undefined unless `c` was paired. */
export function pairedAdded(g: GatewayOverhead, mode: Mode, c: number, t: Target, base: Target, q: 'p50' | 'p99'): PairedRatio | undefined {
  const a = cellOf(g, mode, c, t)?.latencyRounds;
  const b = cellOf(g, mode, c, base)?.latencyRounds;
  if (!isPaired(g) || !a || !b) return undefined;
  return pairedMedian(a.map((x) => x[q]), b.map((x) => x[q]), (x, y) => x - y);
}

/** `t`'s throughput over `base`'s: the median of the paired rounds where `c` was paired, else of the best rounds. */
export function ratioAt(g: GatewayOverhead, mode: Mode, c: number, t: Target, base: Target): number | undefined {
  const paired = pairedVs(g, mode, c, t, base);
  if (paired) return paired.median;
  const a = cellOf(g, mode, c, t)?.result;
  const b = cellOf(g, mode, c, base)?.result;
  return a && b ? a.rps / b.rps : undefined;
}

/** Latency `t` adds over `base` at `q` (ms): the median of the paired rounds where `c` was paired, else of the best rounds. */
export function addedAt(g: GatewayOverhead, mode: Mode, c: number, t: Target, base: Target, q: 'p50' | 'p99'): number | undefined {
  const paired = pairedAdded(g, mode, c, t, base, q);
  if (paired) return paired.median;
  const a = cellOf(g, mode, c, t)?.result;
  const b = cellOf(g, mode, c, base)?.result;
  return a && b ? a.latency[q] - b.latency[q] : undefined;
}
