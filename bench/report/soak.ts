import type { SoakReport } from '../soak/index.js';
import { int, ms, table } from '../stats.js';

export function soakSection(s: SoakReport, out: string[], concurrency: unknown): void {
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
      // Reports from before `skips` was recorded have none.
      `Endpoints skipped, by reason: ${Object.entries(s.skips ?? {}).map(([k, v]) => `${k} ${v}`).join(', ') || 'none recorded'}. ` +
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
