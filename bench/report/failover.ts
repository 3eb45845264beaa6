import type { FailoverResult } from '../failover/index.js';
import { ATTEMPT_TIMEOUT_MS, BENCH_BREAKER, STOP_GAP_MS } from '../failover/scenarios.js';
import { int, ms, pct, table } from '../stats.js';

export const fmtTime = (v: number | null | undefined) => (v === undefined ? '–' : v === null ? 'never' : `${int(v)} ms`);

export function failoverSection(results: FailoverResult[], out: string[], params: Record<string, unknown>): void {
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

/** Who beat Switchyard's best, per scenario and measure (the same rule as the scenario sections). */
export function failoverWins(rows: FailoverResult[]): { measure: string; system: string; other: string; switchyard: string }[] {
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
