import type { Mode } from '../overhead-gateway.js';
import type { ProfileSummary } from '../profile.js';
import { int, pct, table } from '../stats.js';
import { cellOf } from './lookup.js';
import { connectionsOf, incl, inclFn, isStream, selfBreakdown, shows } from './profile-shares.js';
import type { BenchResults } from './results.js';

export function profileSection(p: ProfileSummary, out: string[]): void {
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
}

/** The profile bullets: self time by kind, and what the (overlapping) inclusive shares of the folders contain. */
export function profileBullets(r: BenchResults, out: string[]): void {
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
