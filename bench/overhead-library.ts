import OpenAI from 'openai';
import { Registry } from 'prom-client';
import { importDist, MESSAGES, startUpstreams } from './servers.js';
import { summarize, type Summary } from './stats.js';

/*
 * What the library costs per call when nothing fails: the router as shipped (compiled build, default native
 * transport, metrics and tracing listeners on, no OpenTelemetry SDK registered) against a bare call, both to a
 * simulator in its own process, alternately (A B, B A, …) so the machine's drift hits both alike. Baselines:
 * the router's own transport called alone (its bookkeeping on the same transport: the target), and a bare
 * openai client (what `createRouter` replaces; context).
 */

export interface LibraryRow {
  baseline: 'native transport' | 'openai client';
  mode: 'plain' | 'stream';
  bare: Summary;
  router: Summary;
  /** Median of (router - bare) over the pairs, ms. */
  pairedMedianMs: number;
}

type Call = () => Promise<unknown>;

async function drain(stream: AsyncIterable<unknown>): Promise<void> {
  for await (const _ of stream) void _;
}

/** `pairs` timings of `a` and `b`, each pair in alternating order, within `limitMs`. */
async function interleave(a: Call, b: Call, pairs: number, limitMs: number): Promise<{ a: number[]; b: number[] }> {
  const out = { a: [] as number[], b: [] as number[] };
  const time = async (fn: Call, into: number[]) => {
    const t = performance.now();
    await fn();
    into.push(performance.now() - t);
  };
  for (let i = 0, until = performance.now() + limitMs; i < pairs && performance.now() < until; i++) {
    if (i % 2 === 0) await time(a, out.a).then(() => time(b, out.b));
    else await time(b, out.b).then(() => time(a, out.a));
  }
  return out;
}

export async function libraryOverhead(opts: { pairs: number; streamPairs: number; limitMs: number; log: (l: string) => void }): Promise<LibraryRow[]> {
  const { createRouter } = await importDist<typeof import('../src/router/router.js')>('router/router.js');
  const { instrument } = await importDist<typeof import('../src/telemetry/index.js')>('telemetry/index.js');
  const { nativeTransport } = await importDist<typeof import('../src/endpoint/native-transport.js')>('endpoint/native-transport.js');
  const { CancelSource } = await importDist<typeof import('../src/endpoint/cancellation.js')>('endpoint/cancellation.js');
  const { urls, config } = await startUpstreams();
  const router = createRouter(config);
  const telemetry = instrument(router, { registry: new Registry() });
  // The transport called alone as Endpoint calls it (model and stream set).
  const lone = nativeTransport({ baseURL: urls.a, apiKey: 'sk-bench-a' });
  const client = new OpenAI({ baseURL: urls.a, apiKey: 'sk-bench-a', maxRetries: 0 });
  const calls = {
    router: {
      plain: () => router.chat.completions.create({ model: 'chat', messages: MESSAGES }),
      stream: async () => drain(await router.chat.completions.create({ model: 'chat', messages: MESSAGES, stream: true })),
    },
    'native transport': {
      plain: () => lone.complete({ model: 'sim-model', messages: MESSAGES, stream: false }, new CancelSource()),
      stream: async () => drain(await lone.stream({ model: 'sim-model', messages: MESSAGES, stream: true }, new CancelSource())),
    },
    'openai client': {
      plain: () => client.chat.completions.create({ model: 'sim-model', messages: MESSAGES }),
      stream: async () => drain(await client.chat.completions.create({ model: 'sim-model', messages: MESSAGES, stream: true })),
    },
  };
  const rows: LibraryRow[] = [];
  try {
    for (const baseline of ['native transport', 'openai client'] as const) {
      for (const mode of ['plain', 'stream'] as const) {
        const pairs = mode === 'plain' ? opts.pairs : opts.streamPairs;
        // Warm-up: JIT, connection pools.
        await interleave(calls.router[mode], calls[baseline][mode], Math.min(1000, pairs), opts.limitMs);
        const t = await interleave(calls.router[mode], calls[baseline][mode], pairs, opts.limitMs);
        const row: LibraryRow = { baseline, mode, router: summarize(t.a), bare: summarize(t.b), pairedMedianMs: summarize(t.a.map((x, i) => x - t.b[i]!)).p50 };
        rows.push(row);
        opts.log(`  vs ${baseline} ${mode}: bare p50 ${row.bare.p50.toFixed(3)} ms, router p50 ${row.router.p50.toFixed(3)} ms, paired median ${(row.pairedMedianMs * 1000).toFixed(1)} µs`);
      }
    }
  } finally {
    telemetry.stop();
    await router.close();
    lone.close();
  }
  return rows;
}
