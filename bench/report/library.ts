import type { LibraryOverhead, LibraryRow } from '../overhead-library.js';
import { int, ms, pct, table, us } from '../stats.js';

export function librarySection(rows: LibraryRow[], out: string[]): void {
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

export function libraryProfileSection(p: NonNullable<LibraryOverhead['profile']>, out: string[]): void {
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
