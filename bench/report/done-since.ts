import type { ProfileSummary } from '../profile.js';
import { int, pct } from '../stats.js';
import { FIRST_RUN } from './history.js';
import { ABORT_PACKAGES, connectionsOf, incl, selfPkgs, shows } from './profile-shares.js';

/** Changes since the first run, each with its share in that run's profile and in this one. */
export function doneSince(p: ProfileSummary, out: string[]): void {
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
    `- Request lines skip pino's redaction (then src/gateway/logging.ts \`requestLineLogger\`; since the eighth run the line is formatted in src/gateway/request-line.ts): they are built field by field and carry no header, body or config value, and the redaction walked every line against a dozen wildcard paths. pino, sonic-boom and the redaction: 6 µs → ${int(selfPkgs(p, ['pino', 'sonic-boom', '@pinojs/redact']) * p.busyUsPerRequest)} µs.`,
    `- The native transport resolves its request options once (no URL conversion per call), builds headers without spreads, and reads an answer with \`data\`/\`end\`/\`error\` only. src/endpoint: 13 µs → ${int(selfPkgs(p, ['switchyard src/endpoint']) * p.busyUsPerRequest)} µs.`,
    '- Streams: events that arrive together leave in one write (the socket is corked until the end of the event-loop pass), and the native transport\'s stream lost a generator layer per chunk.',
    '',
    `**Done since the third run** (measured side by side with the build before each change, CPU per request of the gateway's main thread, since the host's noise swamps separate runs):`,
    '',
    `- The native transport calls providers through undici's \`Pool.dispatch\` instead of \`node:http\`'s client (src/endpoint/native-transport.ts): about 30 µs less main-thread CPU per request at 32 connections, plain and streamed alike (155 → 121 µs plain in one side-by-side run). A minimal JSON gateway over undici measured on par with the bare proxy, where the same over \`node:http\` measured 10 to 20 % above it. src/endpoint now: ${int(selfPkgs(p, ['switchyard src/endpoint']) * p.busyUsPerRequest)} µs self, undici ${int(selfPkgs(p, ['undici']) * p.busyUsPerRequest)} µs.`,
    '- Streamed answers are parsed as the bytes arrive (src/endpoint/sse.ts `SseParser`) into a queue the reader pulls from with backpressure (src/endpoint/pushed-stream.ts): no readable-stream iterator and no async generator per chunk on the provider side.',
    '- A plain answer reaches the client as the provider\'s own bytes (`Routed.bytes`), not serialised again after validation.',
    `- Log lines go to stdout in batches (4 KB, or 500 ms after the first waiting line; then over pino's sonic-boom, since the seventh run src/gateway/log-destination.ts): a write per line was a thread-pool round trip whose completion woke the event loop, about 40 µs of CPU per request at concurrency 1 (the main thread's share of it included).`,
    '- The SDK transport (the library\'s default until the fourth run) passes only the signal and any headers per call: every option given is work in the SDK\'s request building (about 2 µs).',
    '',
    '**Done since the fourth run:**',
    '',
    '- The library calls providers over the `native` transport by default too (src/endpoint/endpoint.ts; `transport: \'sdk\'` or a custom `fetch` selects the openai client). See the library section: both are measured.',
    '- A streamed answer\'s frames that arrive together are joined into one string and written once at the end of the event-loop pass (src/gateway/sse.ts `Burst`), one HTTP chunk per burst; corking the socket instead still made a chunk header, body and CRLF per frame. Side by side with the build before it: 10 to 15 µs less main-thread CPU per streamed request at 32 connections.',
    '- Every gateway cell is measured in two rounds (rotating the order of the targets) and each target\'s best round is kept: single rounds on this host moved the same build by a third between runs.',
    '',
    '**Done since the sixth run** (the first three are in the seventh run\'s build too; the log destination was measured in CPU and heap-sampling profiles of the gateway taken by hand before and after, plain, 32 connections):',
    '',
    `- Log lines go through a destination of Switchyard's own (src/gateway/log-destination.ts): lines wait in an array and leave 64 KB at a time. pino's sonic-boom appended each line to one growing string and measured that string's UTF-8 length again on every line, which made it the largest allocator on the hot path; and its 4 KB batches meant a thread-pool write (about 30 µs of CPU, whatever its size) every 15 or so requests. The request line with its write: 5.9 → 4.0 µs per request; allocation 36.6 → 34.3 KB per request. The destination also holds at most 16 MB while stdout does not keep up (sonic-boom held lines without bound), and says how many lines it dropped.`,
    '- A chat response has two \'close\' listeners instead of three (one cancels the router call and writes the request line).',
    `- The request line is formatted by the gateway for its own logger (src/gateway/request-line.ts): the same bytes pino writes (a test compares them), handed to pino's destination. In the gateway, pino's generic path (a loop over the keys, serializer and stringifier lookups, a concatenation per piece) cost about 20k instructions per request, several times what it costs in a micro-benchmark, where its call sites stay monomorphic; with the line formatted here the gateway runs about as many instructions as with no request line at all. A logger passed to \`createGateway\` still gets the line through its own \`info\`.`,
    '- The per-request counters (attempts, tokens, requests) are summed per series between reads and handed to prom-client by each counter\'s `collect` (src/telemetry/pending-counts.ts): prom-client\'s `inc` builds a key string from the labels, validates them and looks the key up in a dictionary on every call. About 9k fewer instructions per request outside the GC; what a scrape shows is unchanged.',
    '- Streams: each chunk goes to the client as the provider\'s own JSON text when the native transport\'s parser kept it (src/endpoint/sse.ts `providerJson`; an event of one `data:` line without a carriage return; the text rides on the chunk under a non-enumerable symbol, since a WeakMap entry per chunk cost about 1.5 µs in the gateway), not serialised again; and the response headers are added to the object the router\'s headers come in rather than spread into a new one. `JSON.stringify` of the parsed chunks took V8\'s slow path (a `toJSON` lookup on every object): under callgrind, 496k → 426k instructions per streamed request outside the compiler and major GCs.',
    '- How these were measured: instruction counts of the gateway\'s process under callgrind (valgrind), over 4,000 requests at 32 connections after 25,000 of warm-up, with JIT compilation and major GCs set apart. Runs of one build agree to about ±2 % that way, where CPU time on this host moves by a third between runs. Outside the compiler and major GCs: about 338k instructions per request before these three changes, 310k after, and 305k with no metrics at all.',
    '- The gateway table now gives the kernel\'s part of the CPU per request (system time): socket calls, page faults, thread wake-ups.',
    '',
    `**Tried, not kept:** caching prom-client's labelled children (\`histogram.labels(...)\`) at start-up measured slower: prom-client 15's child \`observe\` still validates and hashes the label object on every call. prom-client is ${pct(prom)} of the busy time here (self). A larger or smaller young generation for the gateway (\`--max-semi-space-size\` 2, 4, 32 or 64 MB) made no difference beyond the noise. \`--single-threaded-gc\` (garbage collection on the main thread only) did make one, on this host whose two cores are busy with the load generator and the upstream too: in runs by hand beside the default, the gateway's CPU per plain request fell by a fifth to a third (all threads), but the bare proxy's fell by about a tenth as well, so with the flag on both the ratio was no better (58 % against 62 % without, plain), and streamed requests did not change. It is a deployment choice for hosts like this (docs/gateway.md), not something the bench turns on for one side. Passing a streamed chunk on as the provider's own JSON text was set aside in the fourth session on a micro-benchmark (\`JSON.stringify\` about 0.9 µs a chunk there); in the gateway it cost about 2 µs a chunk, and it is done now (above). Not tried, because measured too small to pay for itself: a hand-written iterator instead of the router's async generator per stream (0.2 µs per chunk in a micro-benchmark, within its noise). Earlier reports said the gateway's main thread was dominated by the two \`writev\` calls any proxy makes: that is how the wall-clock profile charges them, but much of it is time off the CPU (see \`writev\` below, now that the kernel's part of the CPU is measured). The gap to the bare proxy is in user time, and what is left of it is spread over many small steps.`,
    '',
  );
}
