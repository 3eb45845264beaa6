import type { ProfileSummary } from '../profile.js';
import { pct } from '../stats.js';

/** Share of busy time under any frame of a package (inclusive), 0 when absent. */
export function incl(p: ProfileSummary, pkg: string): number {
  return p.inclusiveByPackage.find((r) => r.name === pkg)?.share ?? 0;
}
/** Self share of the given packages together (those below the summary's cut count as 0). */
export function selfPkgs(p: ProfileSummary, names: readonly string[]): number {
  return p.byPackage.filter((r) => names.includes(r.name)).reduce((a, r) => a + r.share, 0);
}
export function selfOf(p: ProfileSummary, re: RegExp): number {
  return p.topFunctions.filter((r) => re.test(r.name)).reduce((a, r) => a + r.share, 0);
}
export function inclFn(p: ProfileSummary, re: RegExp): number {
  return p.topInclusive.filter((r) => re.test(r.name)).reduce((a, r) => Math.max(a, r.share), 0);
}
/** A share as the report prints it; below 0.05 % it rounds to nothing and is left out. */
export const shows = (share: number) => share >= 0.0005;

/** AbortSignals and the listeners on them (node:http's `signal` option adds one per request). */
export const ABORT_PACKAGES = ['node:abort_controller', 'node:event_target', 'node:events/abort_listener', 'node:streams/add-abort-signal', 'node:worker/js_transferable'];

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

export const connectionsOf = (p: ProfileSummary) => p.file.match(/c(\d+)/)?.[1] ?? '?';
export const isStream = (p: ProfileSummary) => p.file.includes('stream');

/** Where the busy time goes by self time: syscalls, GC, Switchyard's folders, its libraries, AbortSignals, Node. */
export function selfBreakdown(p: ProfileSummary): { text: string; abort: number; own: number } {
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
