import { readFileSync } from 'node:fs';
import type { GatewayOverhead, Mode, Target } from '../overhead-gateway.js';
import { int, ms, pct, table, us } from '../stats.js';
import { addedAt, cellOf, libraryRow, isPaired, ratioAt } from './lookup.js';
import type { BenchResults } from './results.js';

/** An earlier full run, as its committed report gave it: copied from that file, not measured here. */
interface EarlierRun {
  label: string;
  /** The commit whose bench/RESULTS.md holds the run. */
  report: string;
  src: string;
  when: string;
  /** What src/ did then, in a few words. */
  what: string;
  machine: string;
  c32: Record<
    Mode,
    {
      rps: number;
      cpuUs: number;
      proxyRps: number;
      proxyCpuUs: number;
      portkeyRps: number;
      /** From the eleventh run: the medians of the paired rounds' ratios, which its verdicts read. */
      pairedVsProxy?: number;
      pairedVsPortkey?: number;
    }
  >;
  c1: Record<Mode, { p50AddedMs: number; p99AddedMs: number }>;
  libraryAddedUs: number;
}

/** The first run's gateway profile, plain, 32 connections: inclusive shares as that report's prose and tables give them. */
interface FirstRunProfile {
  undici: number;
  openai: number;
  express: number;
  bodyParsing: number;
  asyncHooks: number;
  otelApi: number;
}

/**
 * The earlier full runs, oldest first (bench/report/earlier-runs.json): a run's figures go there once its
 * report is committed, copied from that report, so the next one can show them beside its own.
 */
const EARLIER_RUNS = JSON.parse(readFileSync(new URL('./earlier-runs.json', import.meta.url), 'utf8')) as EarlierRun[];

/** The first run, with its gateway profile (the "done since the first run" shares compare with it). */
export const FIRST_RUN = EARLIER_RUNS[0] as EarlierRun & { profile: FirstRunProfile };

/** Portkey's throughput at 32 connections in the earlier runs: the range the peer itself moves in. */
export function earlierPortkeyRps(mode: Mode): number[] {
  return EARLIER_RUNS.map((e) => e.c32[mode].portkeyRps);
}

export function historySection(r: BenchResults, out: string[]): void {
  const g = r.gateway;
  const now = (mode: Mode, c: number, t: Target) => (g ? cellOf(g, mode, c, t) : undefined);
  const rows: string[][] = [];
  // From the eleventh run the ratios are medians of paired rounds (see the gateway section); before, best rounds.
  const ratios = (g: GatewayOverhead, mode: Mode) => {
    const vsProxy = ratioAt(g, mode, 32, 'switchyard', 'bare proxy');
    const vsPeer = ratioAt(g, mode, 32, 'switchyard', 'portkey');
    return `${vsProxy !== undefined ? pct(vsProxy, 0) : 'n/a'}, ${vsPeer !== undefined ? `${vsPeer.toFixed(2)}×` : 'n/a'}${isPaired(g) ? ', medians of paired rounds' : ''}`;
  };
  for (const mode of ['plain', 'stream'] as Mode[]) {
    const sy = now(mode, 32, 'switchyard');
    rows.push([
      `gateway, ${mode}, c=32: req/s (vs bare proxy, vs Portkey)`,
      ...EARLIER_RUNS.map((e) => {
        const x = e.c32[mode];
        const paired = x.pairedVsProxy !== undefined && x.pairedVsPortkey !== undefined;
        return `${int(x.rps)} (${pct(x.pairedVsProxy ?? x.rps / x.proxyRps, 0)}, ${(x.pairedVsPortkey ?? x.rps / x.portkeyRps).toFixed(2)}×${paired ? ', medians of paired rounds' : ''})`;
      }),
      g && sy?.result ? `${int(sy.result.rps)} (${ratios(g, mode)})` : 'not measured',
    ]);
    rows.push([
      `gateway, ${mode}, c=32: CPU per request`,
      ...EARLIER_RUNS.map((e) => `${int(e.c32[mode].cpuUs)} µs`),
      sy?.cpuUsPerRequest !== undefined ? `${int(sy.cpuUsPerRequest)} µs` : 'n/a',
    ]);
  }
  for (const mode of ['plain', 'stream'] as Mode[]) {
    const sy = now(mode, 1, 'switchyard')?.result;
    const d = now(mode, 1, 'direct')?.result;
    rows.push([
      `gateway, ${mode}, c=1: added p50 / p99`,
      ...EARLIER_RUNS.map((e) => `${ms(e.c1[mode].p50AddedMs)} / ${ms(e.c1[mode].p99AddedMs)}`),
      g && sy && d
        ? `${ms(addedAt(g, mode, 1, 'switchyard', 'direct', 'p50'))} / ${ms(addedAt(g, mode, 1, 'switchyard', 'direct', 'p99'))}${isPaired(g) ? ' (medians of paired rounds)' : ''}`
        : 'n/a',
    ]);
  }
  const lib = libraryRow(r, 'native');
  rows.push([
    'library, plain, as shipped: added p50 per call over a bare openai client (the SDK transport until the fourth run, `native` since)',
    ...EARLIER_RUNS.map((e) => `${e.libraryAddedUs.toFixed(1)} µs`),
    lib ? us(lib.router.p50 - lib.bare.p50) : 'n/a',
  ]);
  const proxy = now('plain', 32, 'bare proxy');
  rows.push([
    'bare proxy, plain, c=32 (the yardstick)',
    ...EARLIER_RUNS.map((e) => `${int(e.c32.plain.proxyRps)} req/s, ${int(e.c32.plain.proxyCpuUs)} µs`),
    proxy?.result ? `${int(proxy.result.rps)} req/s, ${proxy.cpuUsPerRequest !== undefined ? int(proxy.cpuUsPerRequest) : 'n/a'} µs` : 'n/a',
  ]);
  const m = r.machine;
  const sameMachine = EARLIER_RUNS.every((e) => `${m.cpu}, ${m.cores} cores, Node ${m.node}` === e.machine);
  out.push(
    `Earlier full runs beside this one${r.src ? ` (src/ at \`${r.src.commit}\`)` : ''}, as their reports gave them (\`git show COMMIT:bench/RESULTS.md\`): ` +
      EARLIER_RUNS.map((e) => `the ${e.label} (${e.when}, src/ at \`${e.src}\`, report \`${e.report}\`: ${e.what})`).join('; ') +
      '. ' +
      (sameMachine
        ? `Same machine type (${FIRST_RUN.machine}); this run also warms every target up before its first cell (the earlier ones measured plain c=1 on a just-started server). The bare proxy's row shows how comparable the runs' conditions were.`
        : `The machines differ (now ${m.cpu}, ${m.cores} cores, Node ${m.node}): compare the ratios, not the absolute numbers.`),
    '',
    table(['', ...EARLIER_RUNS.map((e) => `${e.label} (\`${e.report}\`)`), 'this run'], rows),
    '',
  );
}
