import OpenAI from 'openai';
import { Registry } from 'prom-client';
import { importDist } from './build.js';
import { startUpstreams } from './overhead-gateway.js';
import { summarize, type Summary } from './stats.js';

/*
 * What the library costs per call when nothing fails: the router (compiled build, metrics and tracing
 * listeners on) against a bare call, both to one simulator in its own process, alternately (A B, B A, …) so
 * the machine's drift hits both alike. Baselines: a bare openai client, and the router's own native
 * transport called alone (the router's bookkeeping on the same transport: the library's target).
 */

export interface LibraryRow {
  variant: string;
  /** What the router is compared with. */
  baseline: 'openai' | 'native transport';
  mode: 'plain' | 'stream';
  pairs: number;
  bare: Summary;
  router: Summary;
  /** Median of (router - bare) over the pairs, ms. */
  pairedMedianMs: number;
  /** Client-side CPU per call (this process only), µs. */
  bareCpuUs: number;
  routerCpuUs: number;
}

const MESSAGES = [{ role: 'user' as const, content: 'Say hello in one short sentence.' }];

type Call = () => Promise<unknown>;

async function drain(stream: AsyncIterable<unknown>): Promise<void> {
  for await (const _ of stream) void _;
}

async function interleave(a: Call, b: Call, pairs: number, limitMs: number): Promise<{ a: number[]; b: number[]; diff: number[] }> {
  const ta: number[] = [];
  const tb: number[] = [];
  const diff: number[] = [];
  const until = performance.now() + limitMs;
  const time = async (fn: Call) => {
    const t = performance.now();
    await fn();
    return performance.now() - t;
  };
  for (let i = 0; i < pairs && performance.now() < until; i++) {
    // A B, then B A: neither side always goes first.
    let da: number;
    let db: number;
    if (i % 2 === 0) (da = await time(a)), (db = await time(b));
    else (db = await time(b)), (da = await time(a));
    ta.push(da);
    tb.push(db);
    diff.push(da - db);
  }
  return { a: ta, b: tb, diff };
}

/** CPU µs per call of `a` and `b`, in alternating blocks of 100 calls. */
async function cpuPerCall(a: Call, b: Call, n: number): Promise<[number, number]> {
  let ca = 0;
  let cb = 0;
  for (let done = 0; done < n; done += 100) {
    for (const [fn, add] of [
      [a, (v: number) => (ca += v)],
      [b, (v: number) => (cb += v)],
    ] as const) {
      const before = process.cpuUsage();
      for (let i = 0; i < 100; i++) await fn();
      const d = process.cpuUsage(before);
      add(d.user + d.system);
    }
  }
  const blocks = Math.ceil(n / 100) * 100;
  return [ca / blocks, cb / blocks];
}

export interface LibraryOverhead {
  rows: LibraryRow[];
}

export async function libraryOverhead(opts: {
  pairs: number;
  streamPairs: number;
  cpuCalls: number;
  limitMs: number;
  log: (l: string) => void;
}): Promise<LibraryOverhead> {
  // Switchyard as shipped: the compiled build (see build.ts), not the sources through tsx.
  const { createRouter } = await importDist<typeof import('../src/router/router.js')>('router/router.js');
  const { instrument } = await importDist<typeof import('../src/telemetry/index.js')>('telemetry/index.js');
  const { nativeTransport } = await importDist<typeof import('../src/endpoint/native-transport.js')>('endpoint/native-transport.js');
  const { CancelSource } = await importDist<typeof import('../src/endpoint/cancellation.js')>('endpoint/cancellation.js');
  const { sims, urls, config } = await startUpstreams();
  const rows: LibraryRow[] = [];
  try {
    const bare = new OpenAI({ baseURL: urls.a, apiKey: 'sk-bench-a', maxRetries: 0 });
    const bareCall: Call = () => bare.chat.completions.create({ model: 'sim-model', messages: MESSAGES });
    const bareStream: Call = async () => drain(await bare.chat.completions.create({ model: 'sim-model', messages: MESSAGES, stream: true }));

    type Baseline = { name: NonNullable<LibraryRow['baseline']>; plain: Call; stream: Call };
    const openai: Baseline = { name: 'openai', plain: bareCall, stream: bareStream };
    const measure = async (variant: string, routerCall: Call, routerStream: Call, baseline = openai) => {
      for (const [mode, r, b, pairs] of [
        ['plain', routerCall, baseline.plain, opts.pairs],
        ['stream', routerStream, baseline.stream, opts.streamPairs],
      ] as const) {
        // Warm-up: JIT, connection pools.
        await interleave(r, b, Math.min(1000, pairs), opts.limitMs);
        const { a, b: tb, diff } = await interleave(r, b, pairs, opts.limitMs);
        const [routerCpuUs, bareCpuUs] = await cpuPerCall(r, b, opts.cpuCalls);
        const row: LibraryRow = {
          variant,
          baseline: baseline.name,
          mode,
          pairs: a.length,
          router: summarize(a),
          bare: summarize(tb),
          pairedMedianMs: summarize(diff).p50,
          routerCpuUs,
          bareCpuUs,
        };
        rows.push(row);
        opts.log(
          `  ${variant} ${mode}: bare p50 ${row.bare.p50.toFixed(3)} ms, router p50 ${row.router.p50.toFixed(3)} ms, added ${((row.router.p50 - row.bare.p50) * 1000).toFixed(0)} µs (paired ${(row.pairedMedianMs * 1000).toFixed(0)} µs); CPU ${bareCpuUs.toFixed(0)} -> ${routerCpuUs.toFixed(0)} µs/call`,
        );
      }
    };

    // The transport the router uses by default, called alone: as Endpoint calls it (model and stream set).
    const lone = nativeTransport({ baseURL: urls.a, apiKey: 'sk-bench-a' });
    const native: Baseline = {
      name: 'native transport',
      plain: () => lone.complete({ model: 'sim-model', messages: MESSAGES, stream: false }, new CancelSource()),
      stream: async () => drain(await lone.stream({ model: 'sim-model', messages: MESSAGES, stream: true }, new CancelSource())),
    };

    // 1. As shipped: the default transport, metrics on, tracing listeners on, no OpenTelemetry SDK registered
    // (the API is a no-op), against a bare openai client, then against its transport called alone.
    // 2. The same over the SDK transport: the bare call's client, plus the router.
    for (const transport of ['native', 'sdk'] as const) {
      const router = createRouter(config, transport === 'sdk' ? { transport } : {});
      const telemetry = instrument(router, { registry: new Registry() });
      try {
        const plain = () => router.chat.completions.create({ model: 'chat', messages: MESSAGES });
        const stream = async () => drain(await router.chat.completions.create({ model: 'chat', messages: MESSAGES, stream: true }));
        if (transport === 'native') {
          await measure('as shipped: metrics + tracing API (no SDK)', plain, stream);
          await measure('as shipped, against its transport called alone', plain, stream, native);
        } else {
          await measure("over the SDK transport (`transport: 'sdk'`): metrics + tracing API", plain, stream);
        }
      } finally {
        telemetry.stop();
        await router.close();
      }
    }
    lone.close();
  } finally {
    await sims.stop();
  }
  return { rows };
}
