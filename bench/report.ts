import { execFileSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import type { FailoverResult } from './failover.js';
import { ATTEMPT_TIMEOUT_MS, BENCH_BREAKER, STOP_GAP_MS } from './failover.js';
import type { Machine } from './machine.js';
import type { MemoryResult } from './memory.js';
import type { LibraryOverhead, LibraryRow } from './overhead-library.js';
import type { GatewayCell, GatewayOverhead, Mode, Target } from './overhead-gateway.js';
import type { ProfileSummary } from './profile.js';
import type { SoakReport } from './soak.js';
import { int, mb, ms, pct, table, us } from './stats.js';

/*
 * Writes bench/RESULTS.md from the numbers. Every sentence that judges (a target met or missed, who wins
 * a scenario) is computed from the data, so a rerun on another machine cannot leave a stale verdict.
 */

export interface BenchResults {
  quick: boolean;
  command: string;
  startedAt: Date;
  finishedAt: Date;
  machine: Machine;
  /** The last commit that touched src/ when the run started, and whether src/ had uncommitted changes. */
  src?: { commit: string; subject: string; dirty: boolean };
  loadAverage: { start: string; end: string };
  params: Record<string, unknown>;
  library?: LibraryOverhead;
  gateway?: GatewayOverhead;
  profiles?: ProfileSummary[];
  memory?: MemoryResult;
  failover?: FailoverResult[];
  soak?: SoakReport;
  /** Section -> error message, for sections that could not run. */
  errors: Record<string, string>;
  /** Section -> seconds it took. */
  timings: Record<string, number>;
}

const TARGET = {
  throughputVsProxy: 0.75,
  throughputVsPeer: 10,
  p50AddedMs: 0.3,
  p99AddedMs: 1.5,
  libraryUs: 25,
};

/**
 * Commits to src/ after the one measured, when the report is rendered again later (`--rerender`): the prose
 * describes the measured code, and a reader should know when src/ has moved on.
 */
function srcChangedSince(commit: string): string {
  try {
    const log = execFileSync('git', ['log', '--format=%h %s', `${commit}..HEAD`, '--', 'src'], { cwd: fileURLToPath(new URL('..', import.meta.url)), encoding: 'utf8' }).trim();
    if (!log) return '';
    const lines = log.split('\n');
    return `; src/ has changed since (not measured here): ${lines.map((l) => `\`${l.slice(0, l.indexOf(' '))}\` ${l.slice(l.indexOf(' ') + 1)}`).join('; ')}`;
  } catch {
    return '';
  }
}

const verdict = (ok: boolean | undefined) => (ok === undefined ? 'not measured' : ok ? '**met**' : '**missed**');

function cellOf(g: GatewayOverhead, mode: Mode, c: number, t: Target): GatewayCell | undefined {
  return g.cells.find((x) => x.mode === mode && x.connections === c && x.target === t);
}

function gatewaySection(g: GatewayOverhead, out: string[]): void {
  const connections = [...new Set(g.cells.map((c) => c.connections))].sort((a, b) => a - b);
  out.push(
    `Each run: ${g.durationMs / 1000} s of keep-alive load (autocannon, one request in flight per connection) after a warm-up; before the first run every target is warmed up at 8 and at ${Math.max(...connections)} connections, plain and streamed; ` +
      `targets in a rotating order${g.rounds > 1 ? `, ${g.rounds} rounds, the round with the best throughput kept` : ''}. ` +
      'Upstream: the simulator with no delay, so every millisecond is the server under test. ' +
      '"Added" = the target\'s quantile minus the direct quantile at the same concurrency. ' +
      '"CPU/req" = CPU time (user + system, all threads) of the target\'s own process per response, read from the process itself: ' +
      'it is the number least disturbed by other work on the machine.',
    '',
  );
  for (const mode of ['plain', 'stream'] as Mode[]) {
    out.push(`#### ${mode === 'plain' ? 'Plain (non-streamed) completions' : 'Streamed completions (`stream: true`, 3 content chunks)'}`, '');
    const rows: (string | number)[][] = [];
    for (const c of connections) {
      const direct = cellOf(g, mode, c, 'direct')?.result;
      const proxy = cellOf(g, mode, c, 'bare proxy')?.result;
      for (const t of ['direct', 'bare proxy', 'switchyard', 'portkey'] as Target[]) {
        const cell = cellOf(g, mode, c, t);
        const r = cell?.result;
        if (!r) {
          rows.push([c, t, cell?.missing ?? 'not run', '', '', '', '', '', '']);
          continue;
        }
        rows.push([
          c,
          t === 'switchyard' ? '**switchyard**' : t,
          int(r.rps),
          ms(r.latency.p50),
          ms(r.latency.p99),
          t === 'direct' || !direct ? '-' : ms(r.latency.p50 - direct.latency.p50),
          t === 'direct' || !direct ? '-' : ms(r.latency.p99 - direct.latency.p99),
          cell.cpuUsPerRequest !== undefined ? `${int(cell.cpuUsPerRequest)} µs` : 'n/a',
          t === 'direct' || !proxy ? '-' : pct(r.rps / proxy.rps, 0),
        ]);
      }
    }
    out.push(table(['conc.', 'target', 'req/s', 'p50', 'p99', 'p50 added', 'p99 added', 'CPU/req', 'vs bare proxy'], rows), '');
  }
}

function targetsSection(r: BenchResults, out: string[]): void {
  const g = r.gateway;
  const rows: string[][] = [];
  const maxC = g ? Math.max(...g.cells.map((c) => c.connections)) : 32;
  for (const mode of ['plain', 'stream'] as Mode[]) {
    const sy = g && cellOf(g, mode, maxC, 'switchyard')?.result;
    const proxy = g && cellOf(g, mode, maxC, 'bare proxy')?.result;
    const peer = g && cellOf(g, mode, maxC, 'portkey')?.result;
    const vsProxy = sy && proxy ? sy.rps / proxy.rps : undefined;
    const vsPeer = sy && peer ? sy.rps / peer.rps : undefined;
    rows.push([
      `gateway throughput ≥ ${TARGET.throughputVsProxy * 100} % of the bare proxy, c=${maxC}, ${mode}`,
      vsProxy !== undefined ? `${pct(vsProxy, 0)} (${int(sy!.rps)} vs ${int(proxy!.rps)} req/s)` : 'n/a',
      verdict(vsProxy === undefined ? undefined : vsProxy >= TARGET.throughputVsProxy),
    ]);
    rows.push([
      `gateway throughput ≥ ${TARGET.throughputVsPeer}× Portkey's, c=${maxC}, ${mode}`,
      vsPeer !== undefined ? `${vsPeer.toFixed(2)}× (${int(sy!.rps)} vs ${int(peer!.rps)} req/s)` : g ? (cellOf(g, mode, maxC, 'portkey')?.missing ?? 'n/a') : 'n/a',
      verdict(vsPeer === undefined ? undefined : vsPeer >= TARGET.throughputVsPeer),
    ]);
  }
  for (const mode of ['plain', 'stream'] as Mode[]) {
    const sy = g && cellOf(g, mode, 1, 'switchyard')?.result;
    const direct = g && cellOf(g, mode, 1, 'direct')?.result;
    const p50 = sy && direct ? sy.latency.p50 - direct.latency.p50 : undefined;
    const p99 = sy && direct ? sy.latency.p99 - direct.latency.p99 : undefined;
    rows.push([`gateway p50 added ≤ ${TARGET.p50AddedMs} ms, c=1, ${mode}`, ms(p50), verdict(p50 === undefined ? undefined : p50 <= TARGET.p50AddedMs)]);
    rows.push([`gateway p99 added ≤ ${TARGET.p99AddedMs} ms, c=1, ${mode}`, ms(p99), verdict(p99 === undefined ? undefined : p99 <= TARGET.p99AddedMs)]);
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

/** RSS in the middle and at the end of the run (from the samples), MB. */
function secondHalfGrowth(m: MemoryResult): { mid: number; end: number } | undefined {
  if (m.samples.length < 4) return undefined;
  const last = m.samples[m.samples.length - 1]!;
  const mid = m.samples.reduce((a, s) => (Math.abs(s.atS - last.atS / 2) < Math.abs(a.atS - last.atS / 2) ? s : a));
  return { mid: mid.rssMb, end: last.rssMb };
}

/** The plain row of the router over `transport` without the OTel SDK, against `baseline` (earlier runs: every row was `sdk` against openai). */
function libraryRow(r: BenchResults, transport: 'native' | 'sdk', baseline: NonNullable<LibraryRow['baseline']> = 'openai'): LibraryRow | undefined {
  return r.library?.rows.find(
    (x) => x.mode === 'plain' && x.transport === transport && (x.baseline ?? 'openai') === baseline && !x.variant.includes('OTel SDK'),
  );
}

function librarySection(rows: LibraryRow[], out: string[]): void {
  out.push(
    'The bare client is `new OpenAI({ maxRetries: 0 })`. The router runs as shipped, over its default transport (`native`: undici\'s ' +
      'connection pool, no fetch or web streams), and over the SDK transport (`createRouter(config, { transport: \'sdk\' })`), where it calls ' +
      'through an openai client like the bare one. The row "against its transport called alone" compares the router as shipped with one call of its ' +
      'native transport and nothing else: that row and the SDK-transport row are the router\'s own bookkeeping (breakers, events, metrics, tracing, validation) on top of the same client. ' +
      'Both clients call the same simulator (a separate process, no delay), alternately in one loop (A B, B A, …), ' +
      'so the machine\'s drift hits both alike. "Added" = router quantile − bare quantile; "paired" = median of the ' +
      'per-pair differences. CPU = this process\'s CPU time per call (user + system, all threads), measured in ' +
      'alternating blocks of 100 calls of each.',
    '',
    table(
      ['router', 'compared with', 'mode', 'pairs', 'bare p50', 'router p50', 'added p50', 'paired median', 'bare p99', 'router p99', 'added p99', 'p50 ratio', 'CPU bare → router'],
      rows.map((r) => [
        r.variant,
        r.baseline === 'native transport' ? 'the native transport alone' : 'a bare openai client',
        r.mode,
        int(r.pairs),
        ms(r.bare.p50),
        ms(r.router.p50),
        us(r.router.p50 - r.bare.p50),
        us(r.pairedMedianMs),
        ms(r.bare.p99),
        ms(r.router.p99),
        us(r.router.p99 - r.bare.p99),
        (r.router.p50 / r.bare.p50).toFixed(2),
        `${int(r.bareCpuUs)} → ${int(r.routerCpuUs)} µs (${r.routerCpuUs >= r.bareCpuUs ? "+" : "−"}${int(Math.abs(r.routerCpuUs - r.bareCpuUs))})`,
      ]),
    ),
    '',
  );
}

function abortShare(p: { byPackage: { name: string; share: number }[] }): number {
  return p.byPackage.filter((x) => x.name === 'node:abort_controller' || x.name === 'node:worker/js_transferable').reduce((a, x) => a + x.share, 0);
}

/** Packages whose time is the router's own (not the SDK's, not the HTTP stack's). */
const ROUTER_SIDE = /^(switchyard src\/|opossum|prom-client|@opentelemetry\/)/;

function libraryProfileSection(p: NonNullable<LibraryOverhead['profile']>, out: string[]): void {
  const routerSide = p.byPackage.filter((r) => ROUTER_SIDE.test(r.name));
  const share = routerSide.reduce((a, r) => a + r.share, 0);
  out.push(
    `#### Where a router call's time goes (CPU profile of ${int(p.calls)} plain calls in this process)`,
    '',
    `${int(p.busyUsPerRequest)} µs of main-thread time per call while profiling (the router as shipped, over the \`native\` transport), the HTTP call included. Self time in Switchyard's own code and the libraries it drives ` +
      `(opossum, prom-client, OpenTelemetry API) is ${pct(share)} of it, about ${int(share * p.busyUsPerRequest)} µs per call; the rest is undici and Node's HTTP machinery, which any client pays. ` +
      `Timers (\`node:timers\`: ${int((p.byPackage.find((x) => x.name === 'node:timers')?.share ?? 0) * p.busyUsPerRequest)} µs) are the router's: a deadline and an attempt timeout per call. ` +
      `AbortSignals (\`node:abort_controller\`, \`node:worker/js_transferable\`): ${int(abortShare(p) * p.busyUsPerRequest)} µs per call; the native transport needs none (over the SDK transport the router passes one per attempt, which the SDK links to a controller of its own).`,
    '',
    table(
      ['self share', 'package / folder', 'µs per call'],
      p.byPackage.slice(0, 16).map((r) => [pct(r.share), ROUTER_SIDE.test(r.name) ? `**${r.name}**` : r.name, (r.share * p.busyUsPerRequest).toFixed(1)]),
    ),
    '',
    'Switchyard-side functions with the most self time:',
    '',
    table(
      ['self share', 'function'],
      p.topFunctions.filter((r) => /src\/|opossum|prom-client|@opentelemetry/.test(r.name)).slice(0, 12).map((r) => [pct(r.share), `\`${r.name}\``]),
    ),
    '',
  );
}

function profileSection(p: ProfileSummary, out: string[]): void {
  const share = (rows: { name: string; share: number }[], re: RegExp) => rows.filter((x) => re.test(x.name)).reduce((a, x) => Math.max(a, x.share), 0);
  out.push(
    `Load: ${int(p.load.rps)} req/s for ${p.load.elapsedS.toFixed(1)} s; ${int(p.busyMs)} ms of main-thread time sampled, ` +
      `${int(p.busyUsPerRequest)} µs per request while profiling (the sampler adds its own cost). Shares are of busy (non-idle) main-thread time. ` +
      `Profile file: \`${p.file}\` (not committed; open it in Chrome DevTools → Performance).`,
    '',
    '<table><tr><td valign="top">',
    '',
    '**Self time by package / folder**',
    '',
    table(['share', 'package'], p.byPackage.slice(0, 14).map((r) => [pct(r.share), r.name])),
    '',
    '</td><td valign="top">',
    '',
    '**Inclusive (time under any frame of it)**',
    '',
    table(['share', 'package'], p.inclusiveByPackage.slice(0, 14).map((r) => [pct(r.share), r.name])),
    '',
    '</td></tr></table>',
    '',
    '**Functions with the most self time**',
    '',
    table(['share', 'function'], p.topFunctions.slice(0, 15).map((r) => [pct(r.share), `\`${r.name}\``])),
    '',
    '**Inclusive time of the main steps** (overlapping: a caller includes its callees)',
    '',
    table(['share', 'function'], p.topInclusive.slice(0, 22).map((r) => [pct(r.share), `\`${r.name}\``])),
    '',
  );
  void share;
}

function memorySection(m: MemoryResult, out: string[]): void {
  out.push(
    `${int(m.completed)} of ${int(m.requested)} requests (three quarters plain, one quarter streamed) at ${m.loads[0] ? int(m.loads[0].rps) : '?'} / ${m.loads[1] ? int(m.loads[1].rps) : '?'} req/s, ${m.elapsedS.toFixed(0)} s, through the gateway child started with \`--expose-gc\`. ` +
      '"Before" is after warm-up and a full GC; "after" is after 6 s idle (keep-alive sockets expire) and a full GC.',
    '',
    table(
      ['', 'RSS', 'heap used', 'external', 'sockets / timers (active handles)'],
      [
        ['before', mb(m.before.rss), mb(m.before.heapUsed), mb(m.before.external), JSON.stringify(m.before.resources)],
        ['peak during the run', `${m.peakRssMb.toFixed(1)} MB`, `${Math.max(...m.samples.map((s) => s.heapMb), 0).toFixed(1)} MB`, '', ''],
        ['after', mb(m.after.rss), mb(m.after.heapUsed), mb(m.after.external), JSON.stringify(m.after.resources)],
      ],
    ),
    '',
  );
  if (m.samples.length > 0) {
    const step = Math.max(1, Math.ceil(m.samples.length / 12));
    const picked = m.samples.filter((_, i) => i % step === 0 || i === m.samples.length - 1);
    out.push(`RSS during the run (MB): ${picked.map((s) => `${s.atS.toFixed(0)} s: ${s.rssMb.toFixed(0)}`).join(' · ')}`, '');
  }
}

const fmtTime = (v: number | null | undefined) => (v === undefined ? '–' : v === null ? 'never' : `${int(v)} ms`);

function failoverSection(results: FailoverResult[], out: string[], params: Record<string, unknown>): void {
  out.push(
    `Open-loop traffic: ${params.failoverRate} requests/s for ${Number(params.failoverDurationMs) / 1000} s per scenario and system, fresh simulators each time, ` +
      'after 10 healthy warm-up calls (so the breaker\'s window holds some successes, as in production before an incident). ' +
      `Switchyard: per-attempt timeout ${ATTEMPT_TIMEOUT_MS} ms, no retries, breaker ${JSON.stringify(BENCH_BREAKER)}. ` +
      `Naive: the same ${ATTEMPT_TIMEOUT_MS} ms timeout in the openai client. Portkey: \`request_timeout: ${ATTEMPT_TIMEOUT_MS}\` on each target.`,
    '',
    '- **success**: callers that got an answer with content. **p50 / p99**: caller latency, failures included.',
    '- **primary calls / wasted**: requests that reached the primary according to its simulator, and how many of them gave no usable answer. ' +
      'For the refused port (no simulator can count a refused connection) the count comes from each system\'s own log of its calls: ' +
      'the router\'s `attempt:start` events (Switchyard), a logging `fetch` in the openai clients (naive), a preload wrapping `fetch` in the Portkey process. The same logs give the timeline.',
    `- **stops after**: from the fault's start to the last call to the primary before a ${STOP_GAP_MS} ms stretch with none while requests kept arriving; "never" = it kept being called. ` +
      '**returns after**: from the primary\'s recovery to the first request it answered again.',
    '',
  );
  const scenarios = [...new Map(results.map((r) => [r.scenario.id, r.scenario])).values()];
  for (const s of scenarios) {
    const rows = results.filter((r) => r.scenario.id === s.id);
    out.push(`#### ${s.title}`, '');
    out.push(
      table(
        ['system', 'success', 'p50', 'p99', 'primary calls', 'wasted', 'stops after', 'returns after'],
        rows.map((r) =>
          r.missing
            ? [r.system, r.missing, '', '', '', '', '', '']
            : [
                r.system.startsWith('switchyard') ? `**${r.system}**` : r.system,
                `${pct(r.ok / r.requests)}${r.unfinished ? ` (${r.unfinished} unfinished)` : ''}`,
                ms(r.latency.p50),
                ms(r.latency.p99),
                int(r.primaryAttempts),
                int(r.wasted),
                fmtTime(r.stopMs),
                fmtTime(r.returnMs),
              ],
        ),
      ),
      '',
    );
    out.push(...failoverVerdicts(rows), '');
  }
}

/** Who did best on each measure, Switchyard or not: said plainly. */
function failoverVerdicts(rows: FailoverResult[]): string[] {
  const ran = rows.filter((r) => !r.missing && r.requests > 0);
  if (!ran.some((r) => r.system.startsWith('switchyard')) || !ran.some((r) => !r.system.startsWith('switchyard'))) return [];
  const wins = failoverWins(rows);
  if (wins.length === 0) return ['- Switchyard is best or level on every measure here.'];
  return wins.map((w) => `- ${w.measure}: **${w.system} wins** (${w.other} vs Switchyard's best ${w.switchyard}).`);
}

function soakSection(s: SoakReport, out: string[], concurrency: unknown): void {
  const ok = s.violationCount === 0;
  out.push(
    `${int(s.requests)} requests in ${s.durationMs / 1000} s from ${concurrency ?? 'several'} concurrent callers through the gateway; ${s.faultChanges} random fault changes over three simulators ` +
      `(every fault kind: statuses 400–503, hang, reset, malformed, empty, slow first token, cut mid-answer, not JSON; outages; latency and jitter) ` +
      `plus an endpoint whose port refuses connections. Route deadline ${s.deadlineMs} ms (450 ms for the single-endpoint route, shorter than its attempt timeout).`,
    '',
    `**Verdict: ${ok ? 'no invariant violated' : `${s.violationCount} violations`}.** ` +
      `Unhandled rejections: ${s.unhandledRejections}; uncaught exceptions: ${s.uncaughtExceptions}. ` +
      `Slowest request ${ms(s.maxMs)} (p99 ${ms(s.p99Ms)}); ${s.late} took longer than the deadline + 1 s.`,
    '',
  );
  if (!ok) out.push('Violations (first ones):', '', ...s.violations.slice(0, 20).map((v) => `- ${v}`), '');
  out.push(
    table(['what the callers got', 'count'], Object.entries(s.outcomes).sort((a, b) => b[1] - a[1]).map(([k, v]) => [k, int(v)])),
    '',
    `Circuit transitions: ${Object.entries(s.circuitTransitions).map(([k, v]) => `${k} ${v}`).join(', ')}. ` +
      `What the simulators did: ${Object.entries(s.simulatorResults).sort((a, b) => b[1] - a[1]).map(([k, v]) => `${k} ${v}`).join(', ')}.`,
    '',
    '`switchyard_attempts_total` (from GET /metrics, warm-up subtracted) against the requests each simulator counted ' +
      '(an attempt cancelled by its caller or the deadline may not have reached the simulator, hence the allowance):',
    '',
    table(
      ['endpoint', 'metric', 'simulator', 'cancelled attempts', 'agrees'],
      [
        ...Object.entries(s.attempts.byEndpoint).map(([id, a]) => [id, int(a.metric), int(a.simulator), int(a.cancelled), a.simulator <= a.metric && a.metric <= a.simulator + a.cancelled ? 'yes' : '**no**']),
        ['dead (port refuses)', int(s.attempts.refused), '– (never reaches anyone)', '', 'all connection_error'],
      ],
    ),
    '',
    table(
      ['resource', 'before', 'during (peak)', 'after'],
      [
        ['open sockets (whole process: callers, gateway, upstream pools, simulators)', s.resources.socketsBefore, s.resources.socketsPeak, s.resources.socketsAfter],
        ['active timers (ref\'d)', s.resources.timersBefore, '', s.resources.timersAfter],
        ['heap used after GC', `${s.resources.heapBeforeMb.toFixed(1)} MB`, `${Math.max(...s.resources.heapSamplesMb, 0).toFixed(1)} MB (no GC)`, `${s.resources.heapAfterMb.toFixed(1)} MB`],
        ['RSS', `${s.resources.rssBeforeMb.toFixed(1)} MB`, '', `${s.resources.rssAfterMb.toFixed(1)} MB`],
      ],
    ),
    '',
  );
}

export function renderReport(r: BenchResults, discussion: string[]): string {
  const out: string[] = [];
  const m = r.machine;
  out.push(
    '# Switchyard benchmark results',
    '',
    `Generated by \`${r.command}\` on ${r.startedAt.toISOString().replace('T', ' ').slice(0, 16)} UTC, ` +
      `in ${((r.finishedAt.getTime() - r.startedAt.getTime()) / 60000).toFixed(1)} minutes${r.quick ? ' (**quick mode**: short runs, numbers are rough)' : ''}. ` +
      'Everything runs on loopback; every server and child process the bench starts is stopped at the end.',
    '',
    table(
      ['machine', ''],
      [
        ['OS', m.os],
        ['CPU', `${m.cpu}, ${m.cores} cores`],
        ['memory', `${m.memoryGb} GB`],
        ['Node', m.node],
        ...(r.src ? [['Switchyard measured', `src/ at \`${r.src.commit}\` (${r.src.subject})${r.src.dirty ? ' plus uncommitted changes' : ''}${srcChangedSince(r.src.commit)}`]] : []),
        ...(m.virtualization ? [['virtualisation', m.virtualization]] : []),
        ['load average (1/5/15 min) at start / end', `${r.loadAverage.start} · ${r.loadAverage.end}`],
        ['sections (s)', Object.entries(r.timings).map(([k, v]) => `${k} ${v.toFixed(0)}`).join(', ')],
      ],
    ),
    '',
    `Caveat: ${m.cores} cores shared by the load generator, the server under test and the simulated upstream, and by whatever else runs on the machine ` +
      '(the load average at start and end is above; other engineers’ test runs may have been running at the same time). Absolute numbers are low and noisy on this machine; ' +
      'compare rows within a table, and prefer the CPU-per-request columns, which other work disturbs least.',
    '',
    'How: Switchyard is measured as shipped, `src/` compiled by `tsc` (as `npm run build` does) into `bench/.tmp/dist`. The gateway is ' +
      '`startServe` (what `switchyard serve --config FILE` runs) from that build in a child process under plain `node`, its JSON request log going to /dev/null; ' +
      'the simulators, the bare proxy and Portkey each run in a process of their own, and the load generator (autocannon) in the bench process. ' +
      'The failover scenarios and the chaos soak run the TypeScript sources in-process: they measure behaviour, not speed.',
    '',
  );
  if (Object.keys(r.errors).length > 0) {
    out.push('**Sections that failed to run:**', '', ...Object.entries(r.errors).map(([k, v]) => `- ${k}: ${v}`), '');
  }
  out.push('## Targets', '');
  targetsSection(r, out);
  out.push('## History', '');
  historySection(r, out);
  if (discussion.length > 0) out.push('## What the numbers say', '', ...discussion, '');
  out.push('## Overhead: library (in-process)', '');
  if (r.library) librarySection(r.library.rows, out);
  if (r.library?.profile) libraryProfileSection(r.library.profile, out);
  else out.push('not run', '');
  out.push('## Overhead: gateway', '');
  if (r.gateway) gatewaySection(r.gateway, out);
  else out.push('not run', '');
  out.push(
    '## Where the gateway\'s time goes (CPU profile)',
    '',
    'V8\'s sampling CPU profiler (what `node --cpu-prof` writes), started in the gateway process through `node:inspector` once warm-up is over, so that ' +
      'start-up and module loading do not dilute it; 200 µs sampling interval; the gateway under the same load as the overhead runs.',
    '',
  );
  for (const p of r.profiles ?? []) {
    out.push(`### ${p.file.includes('stream') ? 'Streamed' : 'Plain'} completions, ${p.file.match(/c(\d+)/)?.[1] ?? '?'} connections`, '');
    profileSection(p, out);
  }
  if (!r.profiles?.length) out.push('not run', '');
  out.push('## Memory over a long run', '');
  if (r.memory) memorySection(r.memory, out);
  else out.push('not run', '');
  out.push('## Failover scenarios', '');
  if (r.failover) failoverSection(r.failover, out, r.params);
  else out.push('not run', '');
  out.push('## Chaos soak', '');
  if (r.soak) soakSection(r.soak, out, r.params.soakConcurrency);
  else out.push('not run', '');
  out.push('## Parameters', '', '```json', JSON.stringify(r.params, null, 2), '```', '');
  return out.join('\n');
}

/** Share of busy time under any frame of a package (inclusive), 0 when absent. */
function incl(p: ProfileSummary, pkg: string): number {
  return p.inclusiveByPackage.find((r) => r.name === pkg)?.share ?? 0;
}
/** Self share of the given packages together (those below the summary's cut count as 0). */
function selfPkgs(p: ProfileSummary, names: readonly string[]): number {
  return p.byPackage.filter((r) => names.includes(r.name)).reduce((a, r) => a + r.share, 0);
}
function selfOf(p: ProfileSummary, re: RegExp): number {
  return p.topFunctions.filter((r) => re.test(r.name)).reduce((a, r) => a + r.share, 0);
}
function inclFn(p: ProfileSummary, re: RegExp): number {
  return p.topInclusive.filter((r) => re.test(r.name)).reduce((a, r) => Math.max(a, r.share), 0);
}
/** A share as the report prints it; below 0.05 % it rounds to nothing and is left out. */
const shows = (share: number) => share >= 0.0005;

/** AbortSignals and the listeners on them (node:http's `signal` option adds one per request). */
const ABORT_PACKAGES = ['node:abort_controller', 'node:event_target', 'node:events/abort_listener', 'node:streams/add-abort-signal', 'node:worker/js_transferable'];

/** What each of Switchyard's source folders is, on the gateway's path. */
const FOLDER: Record<string, string> = {
  'switchyard src/endpoint': 'the transport (src/endpoint)',
  'switchyard src/gateway': 'the gateway (src/gateway)',
  'switchyard src/router': 'the router (src/router)',
  'switchyard src/telemetry': 'telemetry (src/telemetry)',
  'switchyard src/breaker': 'the breaker (src/breaker)',
};

/** Libraries Switchyard's code drives (and the ones the first run's gateway went through), by self time. */
const LIBRARIES: [string, string[]][] = [
  ['pino with sonic-boom and @pinojs/redact', ['pino', 'sonic-boom', '@pinojs/redact']],
  ['prom-client', ['prom-client']],
  ['opossum', ['opossum']],
  ['openai (the `Stream` and error classes the transport uses)', ['openai']],
  ['the OpenTelemetry API', ['@opentelemetry/api']],
  ['express and body-parser', ['express', 'router', 'body-parser', 'raw-body']],
  ['undici', ['node:deps/undici']],
];

const connectionsOf = (p: ProfileSummary) => p.file.match(/c(\d+)/)?.[1] ?? '?';
const isStream = (p: ProfileSummary) => p.file.includes('stream');

/** Where the busy time goes by self time: syscalls, GC, Switchyard's folders, its libraries, AbortSignals, Node. */
function selfBreakdown(p: ProfileSummary): { text: string; abort: number; own: number } {
  const writev = selfPkgs(p, ['writev']);
  const gc = selfPkgs(p, ['(gc)']);
  const folders = p.byPackage.filter((r) => r.name.startsWith('switchyard src/') && shows(r.share));
  const own = folders.reduce((a, r) => a + r.share, 0);
  const libs = LIBRARIES.map(([label, names]) => [label, selfPkgs(p, names)] as const).filter(([, s]) => shows(s));
  const libShare = libs.reduce((a, [, s]) => a + s, 0);
  const abort = selfPkgs(p, ABORT_PACKAGES);
  const parts: string[] = [];
  if (shows(writev)) parts.push(`the \`writev\` syscall ${pct(writev)}`);
  if (shows(gc)) parts.push(`GC ${pct(gc)}`);
  if (folders.length) parts.push(`Switchyard's own code ${pct(own)} (${folders.map((r) => `${FOLDER[r.name] ?? r.name.replace('switchyard ', '')} ${pct(r.share)}`).join(', ')})`);
  if (libs.length) parts.push(`the libraries it drives ${pct(libShare)} (${libs.map(([label, s]) => `${label} ${pct(s)}`).join(', ')})`);
  if (shows(abort)) parts.push(`AbortSignals and their listeners ${pct(abort)}`);
  const rest = 1 - writev - gc - own - libShare - abort;
  parts.push(`the rest, ${pct(rest, 0)}, is Node itself (HTTP client and server, streams, events, microtasks)`);
  return { text: parts.join('; '), abort, own };
}

/** The profile bullets: self time by kind, and what the (overlapping) inclusive shares of the folders contain. */
function profileBullets(r: BenchResults, out: string[]): void {
  for (const p of r.profiles ?? []) {
    const mode: Mode = isStream(p) ? 'stream' : 'plain';
    const c = connectionsOf(p);
    const cpu = r.gateway && cellOf(r.gateway, mode, Number(c), 'switchyard')?.cpuUsPerRequest;
    const { text } = selfBreakdown(p);
    let line =
      `- **Profile (${mode === 'plain' ? 'plain' : 'streamed'}, ${c} connections):** ${int(p.busyUsPerRequest)} µs of busy main-thread time per request while profiling` +
      (cpu !== undefined ? ` (the overhead run measured ${int(cpu)} µs of CPU per request at this load: the sampler adds its own cost, and it counts wall-clock time, so a sample inside a syscall can include time spent waiting for one of the ${r.machine.cores} shared cores)` : '') +
      `. Self time: ${text}.`;
    if (mode === 'stream') {
      const pipe = inclFn(p, /^pipeStream \(src\/gateway\/sse\.js/);
      const chunks = inclFn(p, /^push \(src\/endpoint\/sse\.js/);
      if (shows(pipe) || shows(chunks)) {
        line += ` The stream path's own steps, inclusive: writing the events (\`pipeStream\`, src/gateway/sse.ts) ${pct(pipe)}, parsing the provider's events as they arrive (\`SseParser.push\`, src/endpoint/sse.ts) ${pct(chunks)}.`;
      }
    }
    out.push(line);
    if (mode !== 'plain') continue;
    // What "src/router 31 %" and the other folders' inclusive shares contain: from the main steps' inclusive times.
    const call = inclFn(p, /^call \(src\/gateway\/routes\/chat\.js/);
    const dispatch = inclFn(p, /^dispatch \(src\/router\/router\.js/);
    const post = inclFn(p, /^post \(src\/endpoint\/native-transport\.js/);
    const listeners = inclFn(p, /^listener \(src\/telemetry\/listeners\.js/);
    const withCtx = inclFn(p, /^withIncomingContext \(src\/telemetry\/propagation\.js/);
    const logLine = inclFn(p, /^write \(src\/gateway\/logging\.js/);
    const folder = (f: string) => incl(p, `switchyard src/${f}`);
    if (!shows(call) || !shows(dispatch)) continue;
    const steps = [
      shows(post) ? `sending the upstream request (\`post\` in src/endpoint/native-transport.ts) ${pct(post)}` : '',
      shows(listeners) ? `the metrics and tracing listeners its events run (src/telemetry/listeners.ts) ${pct(listeners)}` : '',
    ].filter(Boolean);
    let inner =
      `- **What the folders' inclusive shares cover** (the profile section's right-hand tables: time with a frame of it anywhere on the stack, so they overlap; code resumed after an \`await\` starts from a fresh stack, under its own function only): ` +
      `the chat handler (\`call\` in src/gateway/routes/chat.ts) is on the stack for ${pct(call)} of the busy time, the router's \`dispatch\`, which it calls, for ${pct(dispatch)}` +
      (steps.length ? `, and inside that ${steps.join(' and ')}` : '') +
      `. So src/router's ${pct(folder('router'), 0)} is the router's own code plus what it runs synchronously: sending the upstream request (src/endpoint) and the listeners of its events (telemetry's, and the gateway's call tracking); none of the gateway's own work (body, response, log) is in it. ` +
      `src/gateway's ${pct(folder('gateway'), 0)} holds the router call, the response write with its \`writev\`${shows(logLine) ? ` and the request log line (${pct(logLine)})` : ''}; ` +
      `src/endpoint's ${pct(folder('endpoint'), 0)} is the native transport, sending the request and reading the answer.`;
    if (withCtx > folder('telemetry') / 2) {
      inner += ` src/telemetry's ${pct(folder('telemetry'), 0)} is mostly \`withIncomingContext\` (${pct(withCtx)}) being on the stack: it calls the handler (without \`context.with\` when no trace header came in), so that is not telemetry work.`;
    }
    out.push(inner);
  }
}

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

const FIRST_RUN = {
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

const EARLIER_RUNS: EarlierRun[] = [FIRST_RUN, SECOND_RUN, THIRD_RUN, FOURTH_RUN];

function historySection(r: BenchResults, out: string[]): void {
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

/** Changes since the first run, each with its share in that run's profile and in this one. */
function doneSince(p: ProfileSummary, out: string[]): void {
  const f = FIRST_RUN.profile;
  const nowShare = (s: number, what: string) => (shows(s) ? `${what} under ${pct(s)}` : `${what} does not appear`);
  const undici = incl(p, 'node:deps/undici');
  const sdk = incl(p, 'openai');
  const express = Math.max(incl(p, 'express'), incl(p, 'router'));
  const body = Math.max(incl(p, 'body-parser'), incl(p, 'raw-body'));
  const hooks = incl(p, 'node:async_hooks');
  const otel = incl(p, '@opentelemetry/api');
  const transport = incl(p, 'switchyard src/endpoint');
  const prom = selfPkgs(p, ['prom-client']);
  out.push(
    `**Done since the first run** (inclusive shares of the gateway's busy time, plain, ${connectionsOf(p)} connections, then → now):`,
    '',
    `- Providers are called through the native transport (src/endpoint/native-transport.ts, then over \`node:http\`, now undici's \`Pool\`; several times cheaper per call than the SDK, which this bench does not measure on its own): ` +
      `undici's \`fetch\` was under ${pct(f.undici, 0)} and the openai SDK under ${pct(f.openai, 0)}; now ${nowShare(undici, 'undici')}, ${nowShare(sdk, 'the openai SDK')}, and the transport (src/endpoint) is under ${pct(transport)}.`,
    `- \`POST /v1/chat/completions\` is served from the \`node:http\` handler, before express (src/gateway/app.ts, src/gateway/routes/chat.ts): ` +
      `express was under ${pct(f.express, 0)} and body parsing ${pct(f.bodyParsing, 0)}; now ${shows(express) || shows(body) ? `express ${pct(express)}, body parsing ${pct(body)}` : 'neither appears'}.`,
    `- Call tracking without AsyncLocalStorage (src/gateway/context.ts): its async hooks (\`node:async_hooks\`) were under ${pct(f.asyncHooks, 0)}; now ${shows(hooks) ? pct(hooks) : 'they do not appear'}.`,
    `- No \`context.with\` for a request without trace headers (src/telemetry/propagation.ts \`withIncomingContext\`): the OpenTelemetry API was under ${pct(f.otelApi, 0)}, mostly that wrapper; now ${shows(otel) ? pct(otel) : 'it does not appear'}.`,
    '',
    `**Done since the second run** (self time per request in the gateway's profile, plain, ${connectionsOf(p)} connections, then → now: share × busy time, 333 µs per request then, ${int(p.busyUsPerRequest)} now; the second run's profile is in its report):`,
    '',
    `- Cancellation without AbortSignals (src/endpoint/cancellation.ts): an attempt is a callback-based \`Cancellation\` its transport watches, the gateway cancels with a \`CancelSource\`, the native transport cuts a call with \`req.destroy()\` rather than \`http.request\`'s \`signal\` option, and the Stream handed to a library caller gets a controller subclass instead of a listener on its signal. On Node 20 an AbortSignal costs about 5 µs to create and each listener more. AbortSignals and their listeners: 23 µs → ${int(selfPkgs(p, ABORT_PACKAGES) * p.busyUsPerRequest)} µs.`,
    `- No spans while no tracer provider is registered (src/telemetry/tracing.ts): every span would be a no-op and nothing would propagate, so the request is not traced at all; the check runs per request, so an SDK registered later is picked up. src/telemetry: 12 µs → ${int(selfPkgs(p, ['switchyard src/telemetry']) * p.busyUsPerRequest)} µs.`,
    `- Each router event is recorded once (src/telemetry/openmetrics-view.ts): the OpenMetrics registry serves views of the text registry's metrics plus their exemplars, where it used to hold a second set of metrics fed by every event. prom-client: 7 µs → ${int(prom * p.busyUsPerRequest)} µs.`,
    `- Request lines skip pino's redaction (src/gateway/logging.ts \`requestLineLogger\`): they are built field by field and carry no header, body or config value, and the redaction walked every line against a dozen wildcard paths. pino, sonic-boom and the redaction: 6 µs → ${int(selfPkgs(p, ['pino', 'sonic-boom', '@pinojs/redact']) * p.busyUsPerRequest)} µs.`,
    `- The native transport resolves its request options once (no URL conversion per call), builds headers without spreads, and reads an answer with \`data\`/\`end\`/\`error\` only. src/endpoint: 13 µs → ${int(selfPkgs(p, ['switchyard src/endpoint']) * p.busyUsPerRequest)} µs.`,
    '- Streams: events that arrive together leave in one write (the socket is corked until the end of the event-loop pass), and the native transport\'s stream lost a generator layer per chunk.',
    '',
    `**Done since the third run** (measured side by side with the build before each change, CPU per request of the gateway's main thread, since the host's noise swamps separate runs):`,
    '',
    `- The native transport calls providers through undici's \`Pool.dispatch\` instead of \`node:http\`'s client (src/endpoint/native-transport.ts): about 30 µs less main-thread CPU per request at 32 connections, plain and streamed alike (155 → 121 µs plain in one side-by-side run). A minimal JSON gateway over undici measured on par with the bare proxy, where the same over \`node:http\` measured 10 to 20 % above it. src/endpoint now: ${int(selfPkgs(p, ['switchyard src/endpoint']) * p.busyUsPerRequest)} µs self, undici ${int(selfPkgs(p, ['undici']) * p.busyUsPerRequest)} µs.`,
    '- Streamed answers are parsed as the bytes arrive (src/endpoint/sse.ts `SseParser`) into a queue the reader pulls from with backpressure (src/endpoint/pushed-stream.ts): no readable-stream iterator and no async generator per chunk on the provider side.',
    '- A plain answer reaches the client as the provider\'s own bytes (`Routed.bytes`), not serialised again after validation.',
    `- Log lines go to stdout in batches (4 KB, or 500 ms after the first waiting line; src/gateway/logging.ts \`batchedDestination\`): a write per line was a thread-pool round trip whose completion woke the event loop, about 40 µs of CPU per request at concurrency 1 (the main thread's share of it included).`,
    '- The SDK transport (the library\'s default until the fourth run) passes only the signal and any headers per call: every option given is work in the SDK\'s request building (about 2 µs).',
    '',
    '**Done since the fourth run:**',
    '',
    '- The library calls providers over the `native` transport by default too (src/endpoint/endpoint.ts; `transport: \'sdk\'` or a custom `fetch` selects the openai client). See the library section: both are measured.',
    '- A streamed answer\'s frames that arrive together are joined into one string and written once at the end of the event-loop pass (src/gateway/sse.ts `Burst`), one HTTP chunk per burst; corking the socket instead still made a chunk header, body and CRLF per frame. Side by side with the build before it: 10 to 15 µs less main-thread CPU per streamed request at 32 connections.',
    '- Every gateway cell is measured in two rounds (rotating the order of the targets) and each target\'s best round is kept: single rounds on this host moved the same build by a third between runs.',
    '',
    `**Tried, not kept:** caching prom-client's labelled children (\`histogram.labels(...)\`) at start-up measured slower: prom-client 15's child \`observe\` still validates and hashes the label object on every call. prom-client is ${pct(prom)} of the busy time here (self). A larger young generation for the gateway (\`--max-semi-space-size\` 32 or 64 MB) made no difference beyond the noise.`,
    '',
  );
}

/** Fixes the profile supports, for what the measured src/ does not do yet, and what is not worth a fix. */
function stillOpen(r: BenchResults, p: ProfileSummary, out: string[]): void {
  const { abort, own } = selfBreakdown(p);
  const createSignal = selfOf(p, /^createAbortSignal /);
  const writev = selfPkgs(p, ['writev']);
  const routerSelf = selfPkgs(p, ['switchyard src/router']);
  const routerTop = p.topFunctions.filter((x) => x.name.includes('(src/router/')).slice(0, 3);
  const listeners = inclFn(p, /^listener \(src\/telemetry\/listeners\.js/);
  const prom = selfPkgs(p, ['prom-client']);
  const gc = selfPkgs(p, ['(gc)']);
  const fixes: [number, string][] = [
    [
      abort,
      `AbortSignals, ${pct(abort)} self with their listeners (\`createAbortSignal\` alone ${pct(createSignal)}): Switchyard's hot path creates none since the second run, so what is left is Node's own (the HTTP client and server create some for their sockets).`,
    ],
  ];
  const worth = fixes.filter(([share]) => share >= 0.02).sort((a, b) => b[0] - a[0]);
  out.push(`**What the profile still points at** (plain, ${connectionsOf(p)} connections; only what is at least 2 % of the busy time and not done in the measured src/; \`src/\` is not touched by the bench):`, '');
  if (worth.length) out.push(...worth.map(([, text]) => `1. ${text}`), '');
  else out.push('Nothing Switchyard\'s code does on this path is 2 % of the busy time on its own.', '');
  const notes: string[] = [];
  if (shows(writev)) {
    notes.push(`- \`writev\`, ${pct(writev)}: one syscall per HTTP message already, the upstream request's and the response's; a proxy cannot write less, and the bare proxy writes the same two. Its share is this VM's syscall cost (and, in a wall-clock profile, waiting for a core inside it).`);
  }
  if (shows(routerSelf)) {
    notes.push(
      `- The router's own code, ${pct(routerSelf)} self: spread thin (its busiest functions: ${routerTop.map((x) => `\`${x.name}\` ${pct(x.share)}`).join(', ')}). ` +
        `What it costs beyond that is what it runs: the telemetry listeners of its events (${pct(listeners)} inclusive, prom-client ${pct(prom)} of it) and the transport.`,
    );
  }
  const logLine = inclFn(p, /^write \(src\/gateway\/logging\.js/);
  if (shows(logLine)) {
    notes.push(
      `- The request log line, ${pct(logLine)} (pino, sonic-boom and the redaction ${pct(selfPkgs(p, ['pino', 'sonic-boom', '@pinojs/redact']))} self): written in batches and unredacted already, ` +
        'so this is what one JSON line per request costs.',
    );
  }
  if (shows(gc)) notes.push(`- GC, ${pct(gc)}: the gateway parses the request, builds the upstream body, parses the answer and serialises it again; allocation is the price of reading the JSON at all, which the bare proxy never does.`);
  const sy = r.gateway && cellOf(r.gateway, 'plain', Number(connectionsOf(p)), 'switchyard');
  const proxy = r.gateway && cellOf(r.gateway, 'plain', Number(connectionsOf(p)), 'bare proxy');
  if (notes.length) out.push('Not fix targets, on this data:', '', ...notes, '');
  if (sy?.cpuUsPerRequest !== undefined && proxy?.cpuUsPerRequest !== undefined) {
    out.push(
      `So the gap to the bare proxy (${int(sy.cpuUsPerRequest)} against ${int(proxy.cpuUsPerRequest)} µs of CPU per request) has no single large cause left: Switchyard's own code is ${pct(own)} of the busy time in self time, ` +
        `and ${worth.length ? `what the profile still points at is the list above (${pct(worth[0]![0])} the largest)` : 'no piece of it a change in src/ could shrink is 2 % of the busy time on its own'}; the rest is spread thin over work the bare proxy, which only pipes bytes, never does: parsing, checking and re-serialising the JSON both ways, the router's bookkeeping, metrics, the log line, and the GC all that allocation brings. ` +
        'Parsing is not the large part: a minimal JSON gateway written for comparison during this work (parse, rewrite the model, call upstream with undici\'s `Pool.dispatch`, parse, re-serialise; not part of the bench) measured on par with the bare proxy in runs beside it.',
      '',
    );
  }
}

/** Who beat Switchyard's best, per scenario and measure (the same rule as the scenario sections). */
function failoverWins(rows: FailoverResult[]): { measure: string; system: string; other: string; switchyard: string }[] {
  const ran = rows.filter((r) => !r.missing && r.requests > 0);
  const sy = ran.filter((r) => r.system.startsWith('switchyard'));
  const others = ran.filter((r) => !r.system.startsWith('switchyard'));
  if (sy.length === 0 || others.length === 0) return [];
  const wins: { measure: string; system: string; other: string; switchyard: string }[] = [];
  const best = (list: FailoverResult[], f: (r: FailoverResult) => number, better: (a: number, b: number) => boolean) =>
    list.reduce((a, b) => (better(f(b), f(a)) ? b : a));
  const say = (measure: string, f: (r: FailoverResult) => number, lowerIsBetter: boolean, fmt: (v: number) => string, slack: (v: number) => number) => {
    const cmp = (a: number, b: number) => (lowerIsBetter ? a < b : a > b);
    const bSy = best(sy, f, cmp);
    const bOther = best(others, f, cmp);
    const vs = f(bSy);
    const vo = f(bOther);
    if (Number.isNaN(vs) || Number.isNaN(vo) || !Number.isFinite(vo)) return;
    if (cmp(vo, vs) && (!Number.isFinite(vs) || Math.abs(vo - vs) > slack(vs))) wins.push({ measure, system: bOther.system, other: fmt(vo), switchyard: fmt(vs) });
  };
  // Differences within the noise (a millisecond, or 5 % of a latency) are not a win.
  say('success', (r) => r.ok / r.requests, false, (v) => pct(v), () => 0.005);
  say('p50 latency', (r) => r.latency.p50, true, (v) => ms(v), (v) => Math.max(1, v * 0.05));
  say('p99 latency', (r) => r.latency.p99, true, (v) => ms(v), (v) => Math.max(2, v * 0.05));
  say('calls wasted on the primary', (r) => r.wasted, true, (v) => int(v), () => 1);
  const ret = (r: FailoverResult) => (r.returnMs === undefined ? NaN : r.returnMs === null ? Number.POSITIVE_INFINITY : r.returnMs);
  say('time until traffic returns', ret, true, (v) => (Number.isFinite(v) ? `${int(v)} ms` : 'never'), () => 50);
  return wins;
}

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
      let line =
        `- **Gateway, ${mode}, ${maxC} connections:** Switchyard serves ${int(sy.result.rps)} req/s, ${pct(sy.result.rps / proxy.result.rps, 0)} of the bare proxy's ${int(proxy.result.rps)} ` +
        `(direct to the simulator: ${direct?.result ? int(direct.result.rps) : '?'}). It spends ${sy.cpuUsPerRequest !== undefined ? int(sy.cpuUsPerRequest) : '?'} µs of CPU per request against the proxy's ${proxy.cpuUsPerRequest !== undefined ? int(proxy.cpuUsPerRequest) : '?'} µs.`;
      if (peer?.result) {
        const ratio = sy.result.rps / peer.result.rps;
        line += ` Portkey serves ${int(peer.result.rps)} req/s (${peer.cpuUsPerRequest !== undefined ? int(peer.cpuUsPerRequest) : '?'} µs CPU per request): Switchyard is ${ratio.toFixed(2)}× Portkey${ratio < 1 ? ', i.e. **Portkey is faster here**' : ratio < TARGET.throughputVsPeer ? `, short of the ${TARGET.throughputVsPeer}× target` : ''}.`;
      }
      out.push(line);
    }
    const c1 = cellOf(g, 'plain', 1, 'switchyard')?.result;
    const d1 = cellOf(g, 'plain', 1, 'direct')?.result;
    const p1 = cellOf(g, 'plain', 1, 'bare proxy')?.result;
    if (c1 && d1 && p1) {
      out.push(
        `- **Latency at concurrency 1 (plain):** the gateway adds ${ms(c1.latency.p50 - d1.latency.p50)} at p50 and ${ms(c1.latency.p99 - d1.latency.p99)} at p99; ` +
          `the bare proxy adds ${ms(p1.latency.p50 - d1.latency.p50)} and ${ms(p1.latency.p99 - d1.latency.p99)}.`,
      );
    }
  }
  const lib = libraryRow(r, 'native');
  const overSdk = libraryRow(r, 'sdk');
  const overNative = libraryRow(r, 'native', 'native transport');
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
    if (hang) {
      out.push(
        `- **Black hole:** a breaker learns about a hang only when attempts time out, so Switchyard's callers paid the full ${ATTEMPT_TIMEOUT_MS} ms timeout ` +
          `until the circuit opened, ${fmtTime(hang.stopMs)} after the hang began (${int(hang.wasted)} requests; p99 ${ms(hang.latency.p99)}), and none after it (p50 ${ms(hang.latency.p50)}). ` +
          'Everything sent in that first timeout period piles up on the dead endpoint. A cap on attempts in flight per endpoint while it has no recent success, ' +
          'or counting an attempt as failed once it is older than the p99 of recent successes, would stop the pile-up sooner (src/breaker/breaker.ts `admit` / `record`).',
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
