import { int, ms, pct, table } from '../stats.js';
import type { GatewayOverhead, Mode, Target } from '../overhead-gateway.js';
import { addedAt, cellOf, isPaired, pairedVs } from './lookup.js';

export function gatewaySection(g: GatewayOverhead, out: string[]): void {
  const connections = [...new Set(g.cells.map((c) => c.connections))].sort((a, b) => a - b);
  out.push(
    `Each run: ${g.durationMs / 1000} s of keep-alive load (autocannon, one request in flight per connection) after a warm-up; before the first run every target is warmed up at 8 and at ${Math.max(...connections)} connections, plain and streamed; ` +
      (isPaired(g)
        ? `${g.rounds} rounds per cell. Within a round the targets run one after another, forwards in even rounds and backwards in odd ones, so Switchyard always runs right beside the bare proxy, Portkey and (through the proxy) the direct baseline. ` +
          'The table shows each target\'s best round (req/s, p50, p99, CPU); "added" and "vs bare proxy" are medians over the rounds of the difference or ratio within each round, because this host\'s speed drifts within minutes (the bare proxy\'s best round has moved by a factor of two between runs) and a comparison of two runs seconds apart cancels most of that drift. '
        : `targets in a rotating order${g.rounds > 1 ? `, ${g.rounds} rounds, the round with the best throughput kept` : ''}. `) +
      'Upstream: the simulator with no delay, so every millisecond is the server under test. ' +
      '"Added" = the target\'s quantile minus the direct quantile at the same concurrency. ' +
      '"CPU/req" = CPU time (user + system, all threads) of the target\'s own process per response, read from the process itself: ' +
      'it is the number least disturbed by other work on the machine. "Of it kernel" = its system part: the syscalls (reads and writes on the sockets, and the loopback TCP they drive), page faults, and waking other threads; ' +
      'every proxy makes the same socket calls per request, so what one spends beyond the bare proxy is mostly in the rest (user time: JavaScript and the GC).',
    '',
  );
  for (const mode of ['plain', 'stream'] as Mode[]) {
    out.push(`#### ${mode === 'plain' ? 'Plain (non-streamed) completions' : 'Streamed completions (`stream: true`, 3 content chunks)'}`, '');
    const rows: (string | number)[][] = [];
    const vsProxy = (c: number, t: Target) => {
      const p = t !== 'bare proxy' ? pairedVs(g, mode, c, t, 'bare proxy') : undefined;
      return p && `${pct(p.median, 0)} (median; ${pct(p.min, 0)} to ${pct(p.max, 0)})`;
    };
    for (const c of connections) {
      const direct = cellOf(g, mode, c, 'direct')?.result;
      const proxy = cellOf(g, mode, c, 'bare proxy')?.result;
      for (const t of ['direct', 'bare proxy', 'switchyard', 'portkey'] as Target[]) {
        const cell = cellOf(g, mode, c, t);
        const r = cell?.result;
        if (!r) {
          rows.push([c, t, cell?.missing ?? 'not run', '', '', '', '', '', '', '']);
          continue;
        }
        rows.push([
          c,
          t === 'switchyard' ? '**switchyard**' : t,
          int(r.rps),
          ms(r.latency.p50),
          ms(r.latency.p99),
          t === 'direct' || !direct ? '-' : ms(addedAt(g, mode, c, t, 'direct', 'p50')),
          t === 'direct' || !direct ? '-' : ms(addedAt(g, mode, c, t, 'direct', 'p99')),
          cell.cpuUsPerRequest !== undefined ? `${int(cell.cpuUsPerRequest)} µs` : 'n/a',
          cell.sysUsPerRequest !== undefined ? `${int(cell.sysUsPerRequest)} µs` : 'n/a',
          t === 'direct' || !proxy ? '-' : vsProxy(c, t) ?? pct(r.rps / proxy.rps, 0),
        ]);
      }
    }
    out.push(table(['conc.', 'target', 'req/s', 'p50', 'p99', 'p50 added', 'p99 added', 'CPU/req', 'of it kernel', 'vs bare proxy'], rows), '');
    if (isPaired(g)) out.push(roundsLine(g, mode, 1), '', roundsLine(g, mode, Math.max(...connections)), '');
  }
}

/** Every round at one concurrency, as measured: the raw material of the paired medians. */
function roundsLine(g: GatewayOverhead, mode: Mode, c: number): string {
  const list = (t: Target) => cellOf(g, mode, c, t)?.rounds.map(int).join(', ') || 'none';
  const cpu = pairedVs(g, mode, c, 'switchyard', 'bare proxy', 'cpu');
  const sy = cellOf(g, mode, c, 'switchyard')?.latencyRounds;
  const direct = cellOf(g, mode, c, 'direct')?.latencyRounds;
  const added =
    sy && direct
      ? sy.slice(0, direct.length).map((x, i) => `${(x.p50 - direct[i]!.p50).toFixed(3)} / ${(x.p99 - direct[i]!.p99).toFixed(2)}`)
      : [];
  return (
    `Round by round at ${c} connection${c === 1 ? '' : 's'} (req/s): Switchyard ${list('switchyard')}; bare proxy ${list('bare proxy')}; Portkey ${list('portkey')}. ` +
    (cpu ? `Switchyard's CPU per request against the proxy's, round by round: median ${cpu.median.toFixed(2)}×, from ${cpu.min.toFixed(2)}× to ${cpu.max.toFixed(2)}×. ` : '') +
    (c === 1 && added.length ? `Switchyard's added p50 / p99 (ms), round by round: ${added.join('; ')}.` : '')
  ).trimEnd();
}
