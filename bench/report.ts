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

const verdict = (ok: boolean | undefined) => (ok === undefined ? 'not measured' : ok ? '**met**' : '**missed**');

function cellOf(g: GatewayOverhead, mode: Mode, c: number, t: Target): GatewayCell | undefined {
  return g.cells.find((x) => x.mode === mode && x.connections === c && x.target === t);
}

function gatewaySection(g: GatewayOverhead, out: string[]): void {
  const connections = [...new Set(g.cells.map((c) => c.connections))].sort((a, b) => a - b);
  out.push(
    `Each run: ${g.durationMs / 1000} s of keep-alive load (autocannon, one request in flight per connection) after a warm-up; ` +
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
  const lib = r.library?.rows.find((x) => x.mode === 'plain');
  const libAdded = lib ? lib.router.p50 - lib.bare.p50 : undefined;
  rows.push([
    `library overhead ≤ ${TARGET.libraryUs} µs median per call (plain, as shipped)`,
    lib ? `${us(libAdded)} (paired median ${us(lib.pairedMedianMs)}; ratio ${(lib.router.p50 / lib.bare.p50).toFixed(2)})` : 'n/a',
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

function librarySection(rows: LibraryRow[], out: string[]): void {
  out.push(
    'Both clients call the same simulator (a separate process, no delay), alternately in one loop (A B, B A, …), ' +
      'so the machine\'s drift hits both alike. "Added" = router quantile − bare quantile; "paired" = median of the ' +
      'per-pair differences. CPU = this process\'s CPU time per call (user + system, all threads), measured in ' +
      'alternating blocks of 100 calls of each.',
    '',
    table(
      ['variant', 'mode', 'pairs', 'bare p50', 'router p50', 'added p50', 'paired median', 'bare p99', 'router p99', 'added p99', 'p50 ratio', 'CPU bare → router'],
      rows.map((r) => [
        r.variant,
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
        `${int(r.bareCpuUs)} → ${int(r.routerCpuUs)} µs (+${int(r.routerCpuUs - r.bareCpuUs)})`,
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
    `${int(p.busyUsPerRequest)} µs of main-thread time per call while profiling, the SDK call included. Self time in Switchyard's own code and the libraries it drives ` +
      `(opossum, prom-client, OpenTelemetry API) is ${pct(share)} of it, about ${int(share * p.busyUsPerRequest)} µs per call; the rest is the openai SDK, undici and Node's HTTP and stream machinery, which a bare client pays too. ` +
      `Some of that rest is the router's doing all the same: AbortSignals (\`node:abort_controller\`, \`node:worker/js_transferable\`: ${int((abortShare(p)) * p.busyUsPerRequest)} µs per call in all; ` +
      `the SDK and undici create some for any call, and the router adds a request and an attempt controller and passes a signal that the SDK links to a controller of its own) and timers (\`node:timers\`: ${int((p.byPackage.find((x) => x.name === 'node:timers')?.share ?? 0) * p.busyUsPerRequest)} µs; a deadline and an attempt timeout per call).`,
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
  const sy = ran.filter((r) => r.system.startsWith('switchyard'));
  const others = ran.filter((r) => !r.system.startsWith('switchyard'));
  if (sy.length === 0 || others.length === 0) return [];
  const lines: string[] = [];
  const best = <T>(list: FailoverResult[], f: (r: FailoverResult) => T, better: (a: T, b: T) => boolean) =>
    list.reduce((a, b) => (better(f(b), f(a)) ? b : a));
  const say = (measure: string, f: (r: FailoverResult) => number, lowerIsBetter: boolean, fmt: (v: number) => string, slack: (v: number) => number) => {
    const cmp = (a: number, b: number) => (lowerIsBetter ? a < b : a > b);
    const bSy = best(sy, f, cmp);
    const bOther = best(others, f, cmp);
    const vs = f(bSy);
    const vo = f(bOther);
    if (!Number.isFinite(vs) || !Number.isFinite(vo)) return;
    if (cmp(vo, vs) && Math.abs(vo - vs) > slack(vs)) lines.push(`- ${measure}: **${bOther.system} wins** (${fmt(vo)} vs Switchyard's best ${fmt(vs)}).`);
  };
  // Differences within the noise (a millisecond, or 5 % of a latency) are not a win.
  say('success', (r) => r.ok / r.requests, false, (v) => pct(v), () => 0.005);
  say('p50 latency', (r) => r.latency.p50, true, (v) => ms(v), (v) => Math.max(1, v * 0.05));
  say('p99 latency', (r) => r.latency.p99, true, (v) => ms(v), (v) => Math.max(2, v * 0.05));
  say('calls wasted on the primary', (r) => r.wasted, true, (v) => int(v), () => 1);
  const ret = (r: FailoverResult) => (r.returnMs === undefined ? NaN : r.returnMs === null ? Number.POSITIVE_INFINITY : r.returnMs);
  say('time until traffic returns', ret, true, (v) => (Number.isFinite(v) ? `${int(v)} ms` : 'never'), () => 50);
  if (lines.length === 0) lines.push('- Switchyard is best or level on every measure here.');
  return lines;
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
        ...(r.src ? [['Switchyard measured', `src/ at \`${r.src.commit}\` (${r.src.subject})${r.src.dirty ? ' plus uncommitted changes' : ''}`]] : []),
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
function selfOf(p: ProfileSummary, re: RegExp): number {
  return p.topFunctions.filter((r) => re.test(r.name)).reduce((a, r) => a + r.share, 0);
}
function inclFn(p: ProfileSummary, re: RegExp): number {
  return p.topInclusive.filter((r) => re.test(r.name)).reduce((a, r) => Math.max(a, r.share), 0);
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
        line += ` Portkey serves ${int(peer.result.rps)} req/s (${peer.cpuUsPerRequest !== undefined ? int(peer.cpuUsPerRequest) : '?'} µs CPU per request): Switchyard is ${ratio.toFixed(2)}× Portkey${ratio < 1 ? ', i.e. **Portkey is faster here**' : ratio < TARGET.throughputVsPeer ? ', far from the 10× target' : ''}.`;
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
  const lib = r.library?.rows.find((x) => x.mode === 'plain');
  if (lib) {
    out.push(
      `- **Library:** the router adds ${us(lib.router.p50 - lib.bare.p50)} at the median per call over a bare openai client (paired ${us(lib.pairedMedianMs)}), ` +
        `${int(lib.routerCpuUs - lib.bareCpuUs)} µs of CPU per call; the bare SDK call itself costs ${int(lib.bareCpuUs)} µs of CPU in this process.`,
    );
  }
  const p = r.profiles?.find((x) => !x.file.includes('stream')) ?? r.profiles?.[0];
  if (p) {
    const upstream = Math.max(incl(p, 'node:deps/undici'), inclFn(p, /^makeRequest \(openai/));
    const express = Math.max(incl(p, 'express'), incl(p, 'router'));
    const body = Math.max(incl(p, 'body-parser'), incl(p, 'raw-body'));
    const sdk = incl(p, 'openai');
    const pino = Math.max(incl(p, 'pino'), incl(p, 'sonic-boom'));
    const prom = incl(p, 'prom-client');
    const otel = incl(p, '@opentelemetry/api');
    const routerSrc = incl(p, 'switchyard src/router');
    const abort = selfOf(p, /createAbortSignal|makeTransferable|AbortController|AbortSignal/);
    const gc = p.byPackage.find((x) => x.name === '(gc)')?.share ?? 0;
    const writev = p.topFunctions.find((x) => x.name === 'writev')?.share ?? 0;
    out.push(
      `- **Profile (plain, ${p.file.match(/c(\d+)/)?.[1]} connections):** ${upstream > 0.3 ? 'the upstream call dominates: ' : ''}undici's \`fetch\` (Node's built-in, used by the openai SDK) is under ${pct(incl(p, 'node:deps/undici'), 0)} of the busy time, ` +
        `the openai SDK under ${pct(sdk, 0)} (its \`makeRequest\`, which includes starting the fetch, ${pct(inclFn(p, /^makeRequest \(openai/), 0)}). ` +
        `express (routing, \`res.json\`) is under ${pct(express, 0)}, body parsing ${pct(body, 0)}, the pino request log ${pct(pino, 0)}, prom-client ${pct(prom, 0)}, ` +
        `the OpenTelemetry API (no SDK) ${pct(otel, 0)} (mostly the \`context.with\` wrapper, whose share includes the handler it wraps), Switchyard's own router ${pct(routerSrc, 0)}. ` +
        `Creating AbortSignals costs ${pct(abort)} in self time alone; GC ${pct(gc)}; the \`writev\` syscall ${pct(writev)} (syscalls are expensive in this VM).`,
    );
    out.push('', '**Suggested fixes** (ordered by the share of time they address; `src/` is not touched by the bench):', '');
    const fixes: [number, string][] = [
      [
        upstream,
        `Upstream call, ${pct(upstream, 0)}: \`Endpoint.complete\` / \`Endpoint.stream\` (src/endpoint/endpoint.ts) go through \`openai\` → global \`fetch\` (undici): a WHATWG Request, Headers, ` +
          'AbortSignal and ReadableStream per call, the body sent through an async iterator (a separate `writev`). On the gateway hot path, call the provider with `node:http` ' +
          '(or `undici.request`) on a keep-alive Agent per provider, parse the JSON / SSE directly and map status codes with the existing `outcomeForStatus`/`classify` ' +
          '(src/endpoint/classify.ts), keeping the SDK types for the library surface; a cheaper first step is a custom `fetch` passed to `new OpenAI({ fetch })` in `buildEndpoints`. ' +
          'The bare proxy (same upstream, `node:http`) shows what this buys.',
      ],
      [
        express + body,
        `express, ${pct(express, 0)} + body parsing ${pct(body, 0)}: serve \`POST /v1/chat/completions\` from the \`http\` server's request handler before express ` +
          '(src/gateway/app.ts `createGateway`, src/gateway/routes/chat.ts `chatRoutes`): read the body with a length cap, `JSON.parse`, and answer with ' +
          '`res.writeHead(200, headers)` + `res.end(JSON.stringify(body))` instead of `res.json` (which goes through `send`, content negotiation and charset handling); keep express for the other routes.',
      ],
      [
        abort,
        `AbortSignals, ${pct(abort)} self: a request creates several AbortControllers (the chat route's, \`RequestScope\`, \`AttemptScope\` in src/router/scope.ts, the SDK's own timeout controller, undici's Request signal); ` +
          'in Node 20 each `AbortSignal` is made transferable, which is slow. Create the attempt controller lazily or share one per request when no retry/fallback is pending, and let the SDK reuse the attempt signal instead of adding its own timeout.',
      ],
      [
        pino,
        `Request log, ${pct(pino, 0)}: one synchronous pino write per request (src/gateway/logging.ts \`requestLogger\`): use an asynchronous destination (\`pino.destination({ sync: false })\`) in \`createLogger\`.`,
      ],
      [
        prom + otel,
        `Telemetry, ${pct(prom + otel, 0)}: prom-client \`observe\` with label objects (src/telemetry/metrics.ts) and the no-op \`context.with\` in \`withIncomingContext\` (src/telemetry/propagation.ts): ` +
          'cache the labelled children (`histogram.labels(...)`) per route/endpoint/outcome at start-up, and skip `context.with` when no `traceparent` header came in and no SDK is registered.',
      ],
    ];
    // Only what the profile shows to matter (a fix already made drops out on the next run).
    const minimum = (text: string) => (text.startsWith('Upstream call') ? 0.1 : 0.02);
    for (const [share, text] of fixes.sort((a, b) => b[0] - a[0])) if (share >= minimum(text)) out.push(`1. ${text}`);
    out.push('');
  }
  const f = r.failover;
  if (f) {
    const wins = f.filter((x) => !x.missing).reduce<Record<string, string[]>>((acc, x) => {
      const rows = f.filter((y) => y.scenario.id === x.scenario.id);
      if (x.system.startsWith('switchyard')) return acc;
      const syBestWaste = Math.min(...rows.filter((y) => y.system.startsWith('switchyard')).map((y) => y.wasted));
      if (x.wasted < syBestWaste) (acc[x.system] ??= []).push(`${x.scenario.short ?? x.scenario.id} (wasted calls)`);
      const ret = (y: FailoverResult) => (y.returnMs === null ? Infinity : y.returnMs ?? NaN);
      const syRet = Math.min(...rows.filter((y) => y.system.startsWith('switchyard')).map(ret));
      if (Number.isFinite(ret(x)) && ret(x) + 50 < syRet) (acc[x.system] ??= []).push(`${x.scenario.short ?? x.scenario.id} (time until traffic returns)`);
      return acc;
    }, {});
    const syStops = f
      .filter((x) => x.system === 'switchyard (library)' && !x.missing && x.stopMs !== undefined)
      .map((x) => `${x.scenario.short ?? x.scenario.id}: ${fmtTime(x.stopMs)}`);
    const othersNever = f.filter((x) => !x.system.startsWith('switchyard') && !x.missing && x.stopMs === null).length;
    const othersStopped = f.filter((x) => !x.system.startsWith('switchyard') && !x.missing && x.stopMs !== undefined).length;
    out.push(
      `- **Failover:** Switchyard (library) stopped calling the broken primary after ${syStops.join(', ')} (from the fault's start); afterwards only its probes reached it (half-open probes, or one call when a Retry-After ran out); ` +
        `the naive pattern and Portkey kept calling it on every request (they never stopped in ${othersNever} of ${othersStopped} runs), and the naive pattern with the SDK's default retries paid its timeout and backoff up to three times per request. ` +
        (Object.keys(wins).length
          ? `Where others do better: ${Object.entries(wins).map(([sys, what]) => `${sys} on ${what.join(', ')}`).join('; ')}.`
          : 'No other system did better than Switchyard on wasted calls or on time until traffic returns.'),
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
