import { execFileSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import os from 'node:os';
import type { FailoverResult } from './failover/index.js';
import type { FleetResult } from './failover/fleet.js';
import type { MemoryResult } from './memory.js';
import type { LibraryRow } from './overhead-library.js';
import type { GatewayCell, Target } from './overhead-gateway.js';
import { MODES, type Mode } from './servers.js';
import type { SoakReport } from '../test/soak/harness/index.js';
import { int, mb, medianRange, ms, pct, table, time, us } from './stats.js';

/*
 * Writes bench/RESULTS.md as tables. No prose is generated: what a number means is said once, by hand, in the
 * README's Proof section; history is `git log bench/RESULTS.md`, what changed and why is CHANGELOG.md.
 */

/** The host as a header names it: CPU × cores, Node, and whether it is a Firecracker microVM. */
export function machine(): string {
  const vm = existsSync('/proc/cmdline') && /firecracker/i.test(readFileSync('/proc/cmdline', 'utf8')) ? ', Firecracker microVM' : '';
  return `${os.cpus()[0]?.model ?? 'unknown'} × ${os.cpus().length}, Node ${process.version}${vm}`;
}

/** The last commit that touched src/ (what a run measured), with a note when src/ has changes on top; undefined outside git. */
export function srcVersion(): string | undefined {
  try {
    const git = (...a: string[]) => execFileSync('git', a, { cwd: new URL('..', import.meta.url), encoding: 'utf8' }).trim();
    return `${git('log', '-1', '--format=%h', '--', 'src')}${git('status', '--porcelain', '--', 'src') ? ' + uncommitted changes' : ''}`;
  } catch {
    return undefined;
  }
}

export interface BenchResults {
  command: string;
  quick: boolean;
  startedAt: Date;
  load: { start: string; end: string };
  params: Record<string, unknown>;
  library?: LibraryRow[];
  gateway?: GatewayCell[];
  memory?: MemoryResult;
  failover?: FailoverResult[];
  fleet?: FleetResult;
  soak?: SoakReport;
  /** Section -> error message, for sections that could not run. */
  errors: Record<string, string>;
}

type Verdict = [target: string, measured: string, verdict: string];
const judge = (ok: boolean | undefined) => (ok === undefined ? 'not measured' : ok ? 'met' : '**missed**');

/** Library: the router's own bookkeeping, against the same (native) transport called alone. */
const LIBRARY_TARGET_US = 25;
/** Gateway latency added over calling the simulator directly, one connection. */
const ADDED_MS = { p50: 0.3, p99: 1.5 };
/** Memory after a long run, idle and after a full GC, against after warm-up. */
const MEMORY_MB = { heap: 5, rss: 15 };

/** Paired rounds of `t` and `base` (run back to back) combined, as median and range. */
function paired(g: GatewayCell[], mode: Mode, c: number, t: Target, base: Target, f: (a: GatewayCell['rounds'][0], b: GatewayCell['rounds'][0]) => number) {
  const rounds = (x: Target) => g.find((y) => y.mode === mode && y.connections === c && y.target === x)?.rounds ?? [];
  const b = rounds(base);
  return medianRange(rounds(t).slice(0, b.length).map((x, i) => f(x, b[i]!)));
}
const added = (g: GatewayCell[], mode: Mode, c: number, t: Target, q: 'p50' | 'p99') => paired(g, mode, c, t, 'direct', (x, y) => x[q] - y[q])?.median;
function ratio(g: GatewayCell[], mode: Mode, c: number, t: Target, base: Target): string {
  const r = paired(g, mode, c, t, base, (x, y) => (y.rps > 0 ? x.rps / y.rps : NaN));
  return r ? `${r.median.toFixed(2)}× (${r.min.toFixed(2)}–${r.max.toFixed(2)})` : 'n/a';
}

function targets(r: BenchResults): Verdict[] {
  // The instruction-count verdicts, as bench/INSTRUCTIONS.md (`npm run bench:instructions`) last gave them.
  const file = new URL('./INSTRUCTIONS.md', import.meta.url);
  const text = existsSync(file) ? readFileSync(file, 'utf8') : '';
  const out = [...text.matchAll(/^\| (plain|stream) \| \*\*switchyard\*\* \|.*\| ([\d.]+×) \| ≤ ([\d.]+×): (\*\*missed\*\*|met) \|.*\| `([^`]+)` \|$/gm)].map((m): Verdict => [
    `instructions per request vs the bare proxy, ${m[1]} ≤ ${m[3]} (bench/INSTRUCTIONS.md, src/ at \`${m[5]}\`)`,
    m[2]!,
    m[4]!,
  ]);
  const own = r.library?.find((x) => x.mode === 'plain' && x.baseline === 'native transport');
  if (own) {
    const addedUs = (own.router.p50 - own.bare.p50) * 1000;
    out.push([`library: router bookkeeping ≤ ${LIBRARY_TARGET_US} µs p50 per call, same transport`, `${addedUs.toFixed(1)} µs`, judge(addedUs <= LIBRARY_TARGET_US)]);
  }
  for (const mode of r.gateway ? MODES : []) {
    for (const q of ['p50', 'p99'] as const) {
      const v = added(r.gateway!, mode, 1, 'switchyard', q);
      out.push([`gateway ${mode}, c=1: added ${q} ≤ ${ADDED_MS[q]} ms`, ms(v), judge(v === undefined ? undefined : v <= ADDED_MS[q])]);
    }
  }
  const m = r.memory;
  if (m) {
    const heap = (m.after.heapUsed - m.before.heapUsed) / 2 ** 20;
    const rss = (m.after.rss - m.before.rss) / 2 ** 20;
    const target = `heap within ${MEMORY_MB.heap} MB, RSS within ${MEMORY_MB.rss} MB after ${int(m.completed)} requests`;
    out.push([`memory: ${target}`, `heap ${heap.toFixed(1)} MB, RSS ${rss.toFixed(1)} MB`, judge(heap <= MEMORY_MB.heap && rss <= MEMORY_MB.rss)]);
  }
  if (r.soak) out.push(['chaos soak: no invariant violated', `${r.soak.violationCount} violations in ${int(r.soak.requests)} requests`, judge(r.soak.violationCount === 0)]);
  return out;
}

const library = (rows: LibraryRow[]) =>
  table(
    ['router compared with', 'mode', 'pairs', 'bare p50', 'router p50', 'added p50', 'paired median', 'added p99'],
    rows.map((x) => [x.baseline === 'native transport' ? 'its transport called alone' : 'a bare openai client', x.mode, int(x.router.n), ms(x.bare.p50), ms(x.router.p50), us(x.router.p50 - x.bare.p50), us(x.pairedMedianMs), us(x.router.p99 - x.bare.p99)]),
  );

function gateway(g: GatewayCell[], mode: Mode): string {
  const rows = g
    .filter((c) => c.mode === mode)
    .map(({ connections: c, target: t, rounds, missing }) => {
      const best = [...rounds].sort((a, b) => b.rps - a.rps)[0]; // the round with the highest throughput
      if (!best) return [c, t, missing ?? 'not run', '', '', '', '', '', ''];
      const base = t === 'direct';
      return [c, t, int(best.rps), ms(best.p50), ms(best.p99), base ? '-' : ms(added(g, mode, c, t, 'p50')), base ? '-' : ms(added(g, mode, c, t, 'p99')), `${int(best.cpuUs)} µs`, base || t === 'bare proxy' ? '-' : ratio(g, mode, c, t, 'bare proxy')];
    });
  return table(['conc.', 'target', 'req/s (best round)', 'p50', 'p99', 'added p50', 'added p99', 'CPU/req', 'throughput vs bare proxy'], rows);
}

const memory = (m: MemoryResult) =>
  table(
    ['', 'RSS', 'heap used (after GC)'],
    [
      ['after warm-up', mb(m.before.rss), mb(m.before.heapUsed)],
      ['peak during the run', mb(m.peakRss), ''],
      [`after ${int(m.completed)} requests, idle`, mb(m.after.rss), mb(m.after.heapUsed)],
    ],
  );

const failover = (results: FailoverResult[]) =>
  [...new Map(results.map((r) => [r.scenario.id, r.scenario])).values()].flatMap((s) => [
    `### ${s.title}`,
    table(
      ['system', 'success', 'p50', 'p99', 'primary calls', 'wasted', 'stops after', 'returns after'],
      results
        .filter((r) => r.scenario.id === s.id)
        .map((r) => (r.missing ? [r.system, r.missing, '', '', '', '', '', ''] : [r.system, pct(r.ok / r.requests), ms(r.latency.p50), ms(r.latency.p99), int(r.primaryAttempts), int(r.wasted), time(r.stopMs), time(r.returnMs)])),
    ),
  ]);

function fleet(f: FleetResult): string[] {
  const cell = (c: { primaryAttempts: number; ms: number }) => `${int(c.primaryAttempts)} attempts to the primary, ${int(c.ms)} ms`;
  const p50 = [[`${int(f.p50.requests)} requests a round`, ms(f.p50.memory), ms(f.p50.shared), ms(f.p50.shared - f.p50.memory)]];
  return [
    table(['4 replicas, each 10 requests in a row, all at once', 'shared (redis)', 'not shared (memory)'], f.rows.map((r) => [r.scenario, cell(r.shared), cell(r.memory)])),
    table(['concurrency 1, healthy primary, middle p50 of 3 rounds', 'memory', 'redis', 'added'], p50),
  ];
}

const soak = (s: SoakReport) => [
  table(
    ['measure', 'value'],
    [
      ['requests / fault changes', `${int(s.requests)} / ${int(s.faultChanges)}`],
      ['invariant violations', s.violationCount],
      ['unhandled rejections / uncaught exceptions', `${s.unhandledRejections} / ${s.uncaughtExceptions}`],
      ['slowest request / p99', `${ms(s.maxMs)} / ${ms(s.p99Ms)}`],
      ['sockets before → after', `${s.resources.socketsBefore} → ${s.resources.socketsAfter}`],
      ['timers before → after', `${s.resources.timersBefore} → ${s.resources.timersAfter}`],
      ['heap after GC before → after', `${s.resources.heapBeforeMb.toFixed(1)} → ${s.resources.heapAfterMb.toFixed(1)} MB`],
    ],
  ),
  ...(s.violations.length ? [s.violations.slice(0, 20).map((v) => `- violation: ${v}`).join('\n')] : []),
  table(['what the callers got', 'count'], Object.entries(s.outcomes).sort((a, b) => b[1] - a[1]).map(([k, v]) => [k, int(v)])),
];

export function renderReport(r: BenchResults): string {
  const src = srcVersion();
  const minutes = ((Date.now() - r.startedAt.getTime()) / 60000).toFixed(1);
  const out: string[] = [
    '# Switchyard benchmark results',
    '',
    `Command: \`${r.command}\`, ${r.startedAt.toISOString().slice(0, 16).replace('T', ' ')} UTC, ${minutes} min${r.quick ? ' (quick: rough numbers)' : ''}. ` +
      `${machine()}; load ${r.load.start} → ${r.load.end}${src ? `; src/ at \`${src}\`` : ''}. Instruction counts: bench/INSTRUCTIONS.md.`,
    '',
    ...Object.entries(r.errors).map(([k, v]) => `- section ${k} failed: ${v}`),
    '## Targets',
    '',
    table(['target', 'measured', 'verdict'], targets(r)),
    '',
  ];
  if (r.gateway) {
    const rows = MODES.map((mode) => [mode, ratio(r.gateway!, mode, 32, 'switchyard', 'bare proxy'), ratio(r.gateway!, mode, 32, 'switchyard', 'portkey')]);
    out.push('Context, not targets: gateway throughput, median of paired rounds (range), c=32:', '', table(['mode', 'vs bare proxy', 'vs Portkey'], rows), '');
  }
  const section = (title: string, body: string[] | undefined) => out.push(`## ${title}`, '', ...(body ?? ['not run']).flatMap((b) => [b, '']));
  section('Library overhead (in-process)', r.library && [library(r.library)]);
  for (const mode of MODES) section(`Gateway overhead: ${mode}`, r.gateway && [gateway(r.gateway, mode)]);
  section('Memory over a long run', r.memory && [memory(r.memory)]);
  section('Failover scenarios', r.failover && failover(r.failover));
  section('Shared state: four replicas on one Redis', r.fleet && fleet(r.fleet));
  section('Chaos soak', r.soak && soak(r.soak));
  out.push('## Parameters', '', '```json', JSON.stringify(r.params), '```', '');
  return out.join('\n');
}
