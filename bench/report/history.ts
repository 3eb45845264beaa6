import type { Mode, Target } from '../overhead-gateway.js';
import { int, ms, pct, table, us } from '../stats.js';
import { cellOf, libraryRow } from './lookup.js';
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
  c32: Record<Mode, { rps: number; cpuUs: number; proxyRps: number; proxyCpuUs: number; portkeyRps: number }>;
  c1: Record<Mode, { p50AddedMs: number; p99AddedMs: number }>;
  libraryAddedUs: number;
}

export const FIRST_RUN = {
  label: 'first full run',
  report: '09dfe5f',
  src: 'f74e1c2',
  when: '2026-11-24 03:29 UTC',
  what: 'the gateway still called providers through the openai SDK over `fetch` and served chat through express',
  machine: 'AMD EPYC, 2 cores, Node v20.20.2',
  c32: {
    plain: { rps: 875, cpuUs: 1_264, proxyRps: 9_899, proxyCpuUs: 91, portkeyRps: 794 },
    stream: { rps: 702, cpuUs: 1_558, proxyRps: 7_990, proxyCpuUs: 109, portkeyRps: 565 },
  },
  c1: { plain: { p50AddedMs: 2.13, p99AddedMs: 12.8 }, stream: { p50AddedMs: 1.89, p99AddedMs: 9.76 } },
  libraryAddedUs: 70.5,
  /** Gateway profile, plain, 32 connections: inclusive shares as that report's prose and tables give them. */
  profile: { undici: 0.413, openai: 0.236, express: 0.167, bodyParsing: 0.08, asyncHooks: 0.149, otelApi: 0.04 },
} satisfies EarlierRun & { profile: Record<string, number> };

const SECOND_RUN: EarlierRun = {
  label: 'second full run',
  report: 'e69e308',
  src: '5c067aa',
  when: '2026-11-24 04:31 UTC',
  what: 'native transport and chat before express, but AbortSignals per request and attempt, spans of the no-op tracer, every metric recorded in two registries',
  machine: 'AMD EPYC, 2 cores, Node v20.20.2',
  c32: {
    plain: { rps: 4_388, cpuUs: 239, proxyRps: 8_990, proxyCpuUs: 104, portkeyRps: 904 },
    stream: { rps: 2_815, cpuUs: 405, proxyRps: 10_356, proxyCpuUs: 85, portkeyRps: 744 },
  },
  c1: { plain: { p50AddedMs: 0.661, p99AddedMs: 4.84 }, stream: { p50AddedMs: 0.546, p99AddedMs: 5.57 } },
  libraryAddedUs: 50.2,
};

const THIRD_RUN: EarlierRun = {
  label: 'third full run',
  report: '5718d8c',
  src: 'b3e9b1a',
  when: '2026-11-24 05:31 UTC',
  what: 'cancellation without AbortSignals, no spans without a tracer provider, metrics recorded once; providers still called over a `node:http` client, a write(2) per log line',
  machine: 'AMD EPYC, 2 cores, Node v20.20.2',
  c32: {
    plain: { rps: 6_799, cpuUs: 146, proxyRps: 10_326, proxyCpuUs: 85, portkeyRps: 958 },
    stream: { rps: 4_869, cpuUs: 203, proxyRps: 7_315, proxyCpuUs: 120, portkeyRps: 674 },
  },
  c1: { plain: { p50AddedMs: 0.18, p99AddedMs: 1.0 }, stream: { p50AddedMs: 0.3, p99AddedMs: 2.17 } },
  libraryAddedUs: 51.2,
};

const FOURTH_RUN: EarlierRun = {
  label: 'fourth full run',
  report: '0de259e',
  src: '5c9e365',
  when: '2026-11-24 06:30 UTC',
  what: 'providers called over undici\'s `Pool.dispatch`, streams parsed as bytes arrive, log lines in batches; the library still defaulted to the SDK transport',
  machine: 'AMD EPYC, 2 cores, Node v20.20.2',
  c32: {
    plain: { rps: 6_831, cpuUs: 139, proxyRps: 10_156, proxyCpuUs: 87, portkeyRps: 813 },
    stream: { rps: 3_143, cpuUs: 324, proxyRps: 8_942, proxyCpuUs: 96, portkeyRps: 633 },
  },
  c1: { plain: { p50AddedMs: 0.18, p99AddedMs: 1.14 }, stream: { p50AddedMs: 0.197, p99AddedMs: 1.18 } },
  libraryAddedUs: 46.9,
};

const FIFTH_RUN: EarlierRun = {
  label: 'fifth full run',
  report: '1937fc0',
  src: 'ddc9355',
  when: '2026-11-24 07:03 UTC',
  what: 'the library on the `native` transport by default, a streamed burst written as one string; two rounds per gateway cell',
  machine: 'AMD EPYC, 2 cores, Node v20.20.2',
  c32: {
    plain: { rps: 6_343, cpuUs: 155, proxyRps: 9_638, proxyCpuUs: 95, portkeyRps: 674 },
    stream: { rps: 4_472, cpuUs: 220, proxyRps: 6_056, proxyCpuUs: 147, portkeyRps: 767 },
  },
  c1: { plain: { p50AddedMs: 0.157, p99AddedMs: 1.15 }, stream: { p50AddedMs: 0.265, p99AddedMs: 1.73 } },
  libraryAddedUs: -481.6,
};

const EARLIER_RUNS: EarlierRun[] = [FIRST_RUN, SECOND_RUN, THIRD_RUN, FOURTH_RUN, FIFTH_RUN];

export function historySection(r: BenchResults, out: string[]): void {
  const g = r.gateway;
  const now = (mode: Mode, c: number, t: Target) => (g ? cellOf(g, mode, c, t) : undefined);
  const rows: string[][] = [];
  for (const mode of ['plain', 'stream'] as Mode[]) {
    const sy = now(mode, 32, 'switchyard');
    const proxy = now(mode, 32, 'bare proxy')?.result;
    const peer = now(mode, 32, 'portkey')?.result;
    rows.push([
      `gateway, ${mode}, c=32: req/s (vs bare proxy, vs Portkey)`,
      ...EARLIER_RUNS.map((e) => `${int(e.c32[mode].rps)} (${pct(e.c32[mode].rps / e.c32[mode].proxyRps, 0)}, ${(e.c32[mode].rps / e.c32[mode].portkeyRps).toFixed(2)}×)`),
      sy?.result ? `${int(sy.result.rps)} (${proxy ? pct(sy.result.rps / proxy.rps, 0) : 'n/a'}, ${peer ? `${(sy.result.rps / peer.rps).toFixed(2)}×` : 'n/a'})` : 'not measured',
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
      sy && d ? `${ms(sy.latency.p50 - d.latency.p50)} / ${ms(sy.latency.p99 - d.latency.p99)}` : 'n/a',
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
