import type { FailoverResult } from './failover/index.js';
import type { FleetResult } from './failover/fleet.js';
import type { Machine, SrcVersion } from './machine.js';
import type { MemoryResult } from './memory.js';
import type { LibraryOverhead } from './overhead-library.js';
import type { GatewayCell, GatewayOverhead, Mode, Target } from './overhead-gateway.js';
import type { SoakReport } from './soak/index.js';
import { existsSync, readFileSync } from 'node:fs';
import { int, mb, ms, pairedMedian, pairedRatio, pct, table, us } from './stats.js';

/*
 * Writes bench/RESULTS.md as tables. No prose is generated: what a number means is said once, by hand, in the
 * README's Proof section; history is `git log bench/RESULTS.md`, what changed and why is CHANGELOG.md.
 */

export interface BenchResults {
  quick: boolean;
  command: string;
  startedAt: Date;
  finishedAt: Date;
  machine: Machine;
  src?: SrcVersion;
  loadAverage: { start: string; end: string };
  params: Record<string, unknown>;
  library?: LibraryOverhead;
  gateway?: GatewayOverhead;
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
const ADDED_P50_MS = 0.3;
const ADDED_P99_MS = 1.5;
/** Memory after a long run, idle and after a full GC, against after warm-up. */
const HEAP_MB = 5;
const RSS_MB = 15;

const cellOf = (g: GatewayOverhead, mode: Mode, c: number, t: Target): GatewayCell | undefined =>
  g.cells.find((x) => x.mode === mode && x.connections === c && x.target === t);

/** Median over paired rounds of `t`'s latency minus the direct call's at quantile `q` (ms). */
function added(g: GatewayOverhead, mode: Mode, c: number, t: Target, q: 'p50' | 'p99'): number | undefined {
  const a = cellOf(g, mode, c, t)?.latencyRounds ?? [];
  const b = cellOf(g, mode, c, 'direct')?.latencyRounds ?? [];
  return pairedMedian(a.map((x) => x[q]), b.map((x) => x[q]), (x, y) => x - y)?.median;
}

/** `t`'s throughput over `base`'s, median of paired rounds with its range. */
function ratio(g: GatewayOverhead, mode: Mode, c: number, t: Target, base: Target): string {
  const r = pairedRatio(cellOf(g, mode, c, t)?.rounds ?? [], cellOf(g, mode, c, base)?.rounds ?? []);
  return r ? `${r.median.toFixed(2)}× (${r.min.toFixed(2)}–${r.max.toFixed(2)})` : 'n/a';
}

/** The instruction-count verdicts, as bench/INSTRUCTIONS.md (`npm run bench:instructions`) last gave them. */
function instructionTargets(): Verdict[] {
  const file = new URL('./INSTRUCTIONS.md', import.meta.url);
  if (!existsSync(file)) return [];
  const text = readFileSync(file, 'utf8');
  const src = /src\/ at `([^`]+)`/.exec(text)?.[1] ?? 'unknown';
  const out: Verdict[] = [];
  for (const m of text.matchAll(/^\| (plain|stream) \| \*\*switchyard\*\* \|.*\| ([\d.]+×) \| ≤ ([\d.]+×): (\*\*missed\*\*|met) \|/gm)) {
    out.push([`instructions per request vs the bare proxy, ${m[1]} ≤ ${m[3]} (bench/INSTRUCTIONS.md, src/ at \`${src}\`)`, m[2]!, m[4]!]);
  }
  return out;
}

function targets(r: BenchResults): Verdict[] {
  const out: Verdict[] = instructionTargets();
  const own = r.library?.rows.find((x) => x.mode === 'plain' && x.baseline === 'native transport');
  if (own) {
    const addedUs = (own.router.p50 - own.bare.p50) * 1000;
    out.push([`library: router bookkeeping ≤ ${LIBRARY_TARGET_US} µs p50 per call, same transport`, `${addedUs.toFixed(1)} µs`, judge(addedUs <= LIBRARY_TARGET_US)]);
  }
  const g = r.gateway;
  if (g) {
    for (const mode of ['plain', 'stream'] as Mode[]) {
      const p50 = added(g, mode, 1, 'switchyard', 'p50');
      const p99 = added(g, mode, 1, 'switchyard', 'p99');
      out.push([`gateway ${mode}, c=1: added p50 ≤ ${ADDED_P50_MS} ms`, ms(p50), judge(p50 === undefined ? undefined : p50 <= ADDED_P50_MS)]);
      out.push([`gateway ${mode}, c=1: added p99 ≤ ${ADDED_P99_MS} ms`, ms(p99), judge(p99 === undefined ? undefined : p99 <= ADDED_P99_MS)]);
    }
  }
  const m = r.memory;
  if (m) {
    const heap = (m.after.heapUsed - m.before.heapUsed) / 2 ** 20;
    const rss = (m.after.rss - m.before.rss) / 2 ** 20;
    out.push([`memory: heap within ${HEAP_MB} MB, RSS within ${RSS_MB} MB after ${int(m.completed)} requests`, `heap ${heap.toFixed(1)} MB, RSS ${rss.toFixed(1)} MB`, judge(heap <= HEAP_MB && rss <= RSS_MB)]);
  }
  if (r.soak) out.push(['chaos soak: no invariant violated', `${r.soak.violationCount} violations in ${int(r.soak.requests)} requests`, judge(r.soak.violationCount === 0)]);
  return out;
}

function librarySection(l: LibraryOverhead): string {
  return table(
    ['router', 'compared with', 'mode', 'pairs', 'bare p50', 'router p50', 'added p50', 'paired median', 'added p99', 'CPU bare → router'],
    l.rows.map((x) => [
      x.variant,
      x.baseline === 'native transport' ? 'the native transport alone' : 'a bare openai client',
      x.mode,
      int(x.pairs),
      ms(x.bare.p50),
      ms(x.router.p50),
      us(x.router.p50 - x.bare.p50),
      us(x.pairedMedianMs),
      us(x.router.p99 - x.bare.p99),
      `${int(x.bareCpuUs)} → ${int(x.routerCpuUs)} µs`,
    ]),
  );
}

function gatewaySection(g: GatewayOverhead, mode: Mode): string {
  const connections = [...new Set(g.cells.map((c) => c.connections))].sort((a, b) => a - b);
  const rows: (string | number)[][] = [];
  for (const c of connections) {
    for (const t of ['direct', 'bare proxy', 'switchyard', 'portkey'] as Target[]) {
      const cell = cellOf(g, mode, c, t);
      const res = cell?.result;
      if (!cell || !res) {
        rows.push([c, t, cell?.missing ?? 'not run', '', '', '', '', '', '']);
        continue;
      }
      const base = t === 'direct';
      rows.push([
        c,
        t,
        int(res.rps),
        ms(res.latency.p50),
        ms(res.latency.p99),
        base ? '-' : ms(added(g, mode, c, t, 'p50')),
        base ? '-' : ms(added(g, mode, c, t, 'p99')),
        cell.cpuUsPerRequest === undefined ? 'n/a' : `${int(cell.cpuUsPerRequest)} µs`,
        base || t === 'bare proxy' ? '-' : ratio(g, mode, c, t, 'bare proxy'),
      ]);
    }
  }
  return table(['conc.', 'target', 'req/s (best round)', 'p50', 'p99', 'added p50', 'added p99', 'CPU/req', 'throughput vs bare proxy'], rows);
}

function memorySection(m: MemoryResult): string {
  return table(
    ['', 'RSS', 'heap used', 'sockets / timers'],
    [
      ['after warm-up + GC', mb(m.before.rss), mb(m.before.heapUsed), JSON.stringify(m.before.resources)],
      ['peak during the run', mb(m.peak.rss), mb(m.peak.heapUsed), ''],
      [`after ${int(m.completed)} requests, idle + GC`, mb(m.after.rss), mb(m.after.heapUsed), JSON.stringify(m.after.resources)],
    ],
  );
}

const time = (v: number | null | undefined) => (v === undefined ? '–' : v === null ? 'never' : `${int(v)} ms`);

function failoverSection(results: FailoverResult[]): string[] {
  const out: string[] = [];
  for (const s of new Map(results.map((r) => [r.scenario.id, r.scenario])).values()) {
    out.push(
      `### ${s.title}`,
      '',
      table(
        ['system', 'success', 'p50', 'p99', 'primary calls', 'wasted', 'stops after', 'returns after'],
        results
          .filter((r) => r.scenario.id === s.id)
          .map((r) =>
            r.missing
              ? [r.system, r.missing, '', '', '', '', '', '']
              : [r.system, pct(r.ok / r.requests), ms(r.latency.p50), ms(r.latency.p99), int(r.primaryAttempts), int(r.wasted), time(r.stopMs), time(r.returnMs)],
          ),
      ),
      '',
    );
  }
  return out;
}

function fleetSection(f: FleetResult): string[] {
  const cell = (c: { primaryAttempts: number; ms: number }) => `${int(c.primaryAttempts)} attempts to the primary, ${int(c.ms)} ms`;
  return [
    table(['4 replicas, each 10 requests in a row, all at once', 'shared (redis)', 'not shared (memory)'], f.rows.map((r) => [r.scenario, cell(r.shared), cell(r.memory)])),
    '',
    table(
      ['concurrency 1, healthy primary, middle p50 of 3 rounds', 'memory', 'redis', 'added'],
      [[`${int(f.p50.requests)} requests a round`, ms(f.p50.memory), ms(f.p50.shared), ms(f.p50.shared - f.p50.memory)]],
    ),
    '',
  ];
}

function soakSection(s: SoakReport): string[] {
  return [
    table(
      ['measure', 'value'],
      [
        ['requests', int(s.requests)],
        ['fault changes', int(s.faultChanges)],
        ['invariant violations', s.violationCount],
        ['unhandled rejections / uncaught exceptions', `${s.unhandledRejections} / ${s.uncaughtExceptions}`],
        ['slowest request / p99', `${ms(s.maxMs)} / ${ms(s.p99Ms)}`],
        ['sockets before → after', `${s.resources.socketsBefore} → ${s.resources.socketsAfter}`],
        ['timers before → after', `${s.resources.timersBefore} → ${s.resources.timersAfter}`],
        ['heap after GC before → after', `${s.resources.heapBeforeMb.toFixed(1)} → ${s.resources.heapAfterMb.toFixed(1)} MB`],
      ],
    ),
    '',
    ...s.violations.slice(0, 20).map((v) => `- violation: ${v}`),
    ...(s.violations.length ? [''] : []),
    table(['what the callers got', 'count'], Object.entries(s.outcomes).sort((a, b) => b[1] - a[1]).map(([k, v]) => [k, int(v)])),
    '',
  ];
}

export function renderReport(r: BenchResults): string {
  const m = r.machine;
  const minutes = ((r.finishedAt.getTime() - r.startedAt.getTime()) / 60000).toFixed(1);
  const out: string[] = [
    '# Switchyard benchmark results',
    '',
    `Command: \`${r.command}\`, ${r.startedAt.toISOString().slice(0, 16).replace('T', ' ')} UTC, ${minutes} min${r.quick ? ' (quick: rough numbers)' : ''}. ` +
      `${m.cpu} × ${m.cores}, Node ${m.node}${m.virtualization ? `, ${m.virtualization}` : ''}; load ${r.loadAverage.start} → ${r.loadAverage.end}` +
      `${r.src ? `; src/ at \`${r.src.commit}\`${r.src.dirty ? ' + uncommitted changes' : ''}` : ''}. Instruction counts: bench/INSTRUCTIONS.md.`,
    '',
    ...Object.entries(r.errors).map(([k, v]) => `- section ${k} failed: ${v}`),
    '## Targets',
    '',
    table(['target', 'measured', 'verdict'], targets(r)),
    '',
  ];
  if (r.gateway) {
    out.push('Context, not targets: gateway throughput, median of paired rounds (range), c=32:', '');
    out.push(
      table(
        ['mode', 'vs bare proxy', 'vs Portkey'],
        (['plain', 'stream'] as Mode[]).map((mode) => [mode, ratio(r.gateway!, mode, 32, 'switchyard', 'bare proxy'), ratio(r.gateway!, mode, 32, 'switchyard', 'portkey')]),
      ),
      '',
    );
  }
  const section = (title: string, body: string[] | undefined) => out.push(`## ${title}`, '', ...(body ?? ['not run', '']));
  section('Library overhead (in-process)', r.library && [librarySection(r.library), '']);
  section('Gateway overhead: plain', r.gateway && [gatewaySection(r.gateway, 'plain'), '']);
  section('Gateway overhead: stream', r.gateway && [gatewaySection(r.gateway, 'stream'), '']);
  section('Memory over a long run', r.memory && [memorySection(r.memory), '']);
  section('Failover scenarios', r.failover && failoverSection(r.failover));
  section('Shared state: four replicas on one Redis', r.fleet && fleetSection(r.fleet));
  section('Chaos soak', r.soak && soakSection(r.soak));
  out.push('## Parameters', '', '```json', JSON.stringify(r.params), '```', '');
  return out.join('\n');
}
