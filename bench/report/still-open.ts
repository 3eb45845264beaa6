import type { ProfileSummary } from '../profile.js';
import { int, pct } from '../stats.js';
import { cellOf, pairedVs } from './lookup.js';
import { connectionsOf, inclFn, selfBreakdown, selfOf, selfPkgs, shows } from './profile-shares.js';
import type { BenchResults } from './results.js';

/** Fixes the profile supports, for what the measured src/ does not do yet, and what is not worth a fix. */
export function stillOpen(r: BenchResults, p: ProfileSummary, out: string[]): void {
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
  const sy = r.gateway && cellOf(r.gateway, 'plain', Number(connectionsOf(p)), 'switchyard');
  const proxy = r.gateway && cellOf(r.gateway, 'plain', Number(connectionsOf(p)), 'bare proxy');
  const pairedCpu = r.gateway && pairedVs(r.gateway, 'plain', Number(connectionsOf(p)), 'switchyard', 'bare proxy', 'cpu');
  const kernel = sy?.sysUsPerRequest !== undefined && sy.cpuUsPerRequest ? sy.sysUsPerRequest / sy.cpuUsPerRequest : undefined;
  const notes: string[] = [];
  if (shows(writev)) {
    notes.push(
      `- \`writev\`, ${pct(writev)}: one syscall per HTTP message already, the upstream request's and the response's; a proxy cannot write less, and the bare proxy writes the same two. Its share is this VM's syscall cost and, in this wall-clock profile, waiting for a core inside it` +
        (kernel !== undefined && sy?.sysUsPerRequest !== undefined && writev * p.busyUsPerRequest > sy.sysUsPerRequest
          ? `: it is sampled at ${int(writev * p.busyUsPerRequest)} µs per request, but all the kernel time the gateway used in the overhead run (every syscall, page faults, thread wake-ups) was ${int(sy.sysUsPerRequest)} µs, ${pct(kernel, 0)} of its CPU; ` +
            `so at least ${pct(1 - sy.sysUsPerRequest / (writev * p.busyUsPerRequest), 0)} of \`writev\`'s samples are time off the CPU (most likely waiting for a core after the write woke the process reading the other end).`
          : '.'),
    );
  }
  if (shows(routerSelf)) {
    notes.push(
      `- The router's own code, ${pct(routerSelf)} self: spread thin (its busiest functions: ${routerTop.map((x) => `\`${x.name}\` ${pct(x.share)}`).join(', ')}). ` +
        `What it costs beyond that is what it runs: the telemetry listeners of its events (${pct(listeners)} inclusive, prom-client ${pct(prom)} of it) and the transport.`,
    );
  }
  const logLine = inclFn(p, /^write \(src\/gateway\/request-line\.js/);
  if (shows(logLine)) {
    const destination = inclFn(p, /^write \(src\/gateway\/log-destination\.js/);
    notes.push(
      `- The request log line, ${pct(logLine)} (the batched destination ${pct(destination)} of it, inclusive): formatted in one template and written in batches already, ` +
        'so this is what one JSON line per request costs.',
    );
  }
  if (shows(gc)) notes.push(`- GC, ${pct(gc)}: the gateway parses the request, builds the upstream body, parses the answer and serialises it again; allocation is the price of reading the JSON at all, which the bare proxy never does.`);
  if (notes.length) out.push('Not fix targets, on this data:', '', ...notes, '');
  if (sy?.cpuUsPerRequest !== undefined && proxy?.cpuUsPerRequest !== undefined) {
    out.push(
      `So the gap to the bare proxy (${int(sy.cpuUsPerRequest)} against ${int(proxy.cpuUsPerRequest)} µs of CPU per request in the best rounds${sy.sysUsPerRequest !== undefined && proxy.sysUsPerRequest !== undefined ? `, of it ${int(sy.sysUsPerRequest)} against ${int(proxy.sysUsPerRequest)} µs in the kernel` : ''}${pairedCpu ? `; round by round a median ${pairedCpu.median.toFixed(2)}× the proxy's` : ''}) has no single large cause left: Switchyard's own code is ${pct(own)} of the busy time in self time, ` +
        `and ${worth.length ? `what the profile still points at is the list above (${pct(worth[0]![0])} the largest)` : 'no piece of it a change in src/ could shrink is 2 % of the busy time on its own'}; the rest is spread thin over work the bare proxy, which only pipes bytes, never does: parsing, checking and re-serialising the JSON both ways, the router's bookkeeping, metrics, the log line, and the GC all that allocation brings. ` +
        'Parsing is not the large part: a minimal JSON gateway written for comparison during this work (parse, rewrite the model, call upstream with undici\'s `Pool.dispatch`, parse, re-serialise; not part of the bench) measured on par with the bare proxy in runs beside it.',
      '',
    );
  }
}
