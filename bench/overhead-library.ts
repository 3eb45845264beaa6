import { context, propagation, trace } from '@opentelemetry/api';
import { BatchSpanProcessor, NodeTracerProvider, type ReadableSpan, type SpanExporter } from '@opentelemetry/sdk-trace-node';
import OpenAI from 'openai';
import { Registry } from 'prom-client';
import { createRouter } from '../src/router/router.js';
import { instrument } from '../src/telemetry/index.js';
import { spawnChild } from './procs.js';
import { summarize, type Summary } from './stats.js';

/*
 * What the library costs per call when nothing fails: `router.chat.completions.create` (breakers, Prometheus
 * metrics and the tracing listeners on) against a bare `new OpenAI().chat.completions.create`, both to the
 * same simulator (in a process of its own), called alternately in one loop (A B, B A, A B...) so that any
 * drift of the machine hits both alike. Added latency = quantile(router) - quantile(bare); the median of the
 * per-pair differences is given too. CPU per call is measured in separate blocks with process.cpuUsage().
 */

export interface LibraryRow {
  variant: string;
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

/** An exporter that drops spans: the SDK does all its work (sampling, processors, batching), nothing is sent. */
class DroppingExporter implements SpanExporter {
  exported = 0;
  export(spans: ReadableSpan[], done: (r: { code: number }) => void): void {
    this.exported += spans.length;
    done({ code: 0 });
  }
  async shutdown(): Promise<void> {}
}

type Call = () => Promise<unknown>;

async function drain(stream: AsyncIterable<unknown>): Promise<void> {
  for await (const _ of stream) void _;
}

async function interleave(a: Call, b: Call, pairs: number, limitMs: number): Promise<{ a: number[]; b: number[]; diff: number[] }> {
  const ta: number[] = [];
  const tb: number[] = [];
  const diff: number[] = [];
  const until = performance.now() + limitMs;
  for (let i = 0; i < pairs && performance.now() < until; i++) {
    let da: number;
    let db: number;
    if (i % 2 === 0) {
      let t = performance.now();
      await a();
      da = performance.now() - t;
      t = performance.now();
      await b();
      db = performance.now() - t;
    } else {
      let t = performance.now();
      await b();
      db = performance.now() - t;
      t = performance.now();
      await a();
      da = performance.now() - t;
    }
    ta.push(da);
    tb.push(db);
    diff.push(da - db);
  }
  return { a: ta, b: tb, diff };
}

async function cpuPerCall(fn: Call, n: number): Promise<number> {
  const before = process.cpuUsage();
  for (let i = 0; i < n; i++) await fn();
  const d = process.cpuUsage(before);
  return (d.user + d.system) / n;
}

export async function libraryOverhead(opts: { pairs: number; streamPairs: number; cpuCalls: number; limitMs: number; log: (l: string) => void }): Promise<LibraryRow[]> {
  const sims = await spawnChild('sim-child.ts', [JSON.stringify({ names: ['a', 'b'] })]);
  const urls = sims.ready.urls as Record<string, string>;
  const rows: LibraryRow[] = [];
  try {
    const config = {
      providers: { a: { baseURL: urls.a!, apiKey: 'sk-bench-a' }, b: { baseURL: urls.b!, apiKey: 'sk-bench-b' } },
      endpoints: { primary: { provider: 'a', model: 'sim-model' }, secondary: { provider: 'b', model: 'sim-model' } },
      routes: { chat: { endpoints: ['primary', 'secondary'] } },
    };
    const bare = new OpenAI({ baseURL: urls.a!, apiKey: 'sk-bench-a', maxRetries: 0 });
    const bareCall: Call = () => bare.chat.completions.create({ model: 'sim-model', messages: MESSAGES });
    const bareStream: Call = async () => drain(await bare.chat.completions.create({ model: 'sim-model', messages: MESSAGES, stream: true }));

    const measure = async (variant: string, routerCall: Call, routerStream: Call) => {
      for (const [mode, r, b, pairs] of [
        ['plain', routerCall, bareCall, opts.pairs],
        ['stream', routerStream, bareStream, opts.streamPairs],
      ] as const) {
        // Warm-up: JIT, connection pools.
        await interleave(r, b, Math.min(1000, pairs), opts.limitMs);
        const { a, b: tb, diff } = await interleave(r, b, pairs, opts.limitMs);
        const routerCpuUs = await cpuPerCall(r, opts.cpuCalls);
        const bareCpuUs = await cpuPerCall(b, opts.cpuCalls);
        const row: LibraryRow = {
          variant,
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

    // 1. As shipped: metrics on, tracing listeners on, no OpenTelemetry SDK registered (the API is a no-op).
    {
      const router = createRouter(config);
      const telemetry = instrument(router, { registry: new Registry() });
      try {
        await measure(
          'metrics + tracing API (no SDK)',
          () => router.chat.completions.create({ model: 'chat', messages: MESSAGES }),
          async () => drain(await router.chat.completions.create({ model: 'chat', messages: MESSAGES, stream: true })),
        );
      } finally {
        telemetry.stop();
        await router.close();
      }
    }
    // 2. With an OpenTelemetry SDK recording every span (batch processor, exporter that drops them).
    {
      const exporter = new DroppingExporter();
      const provider = new NodeTracerProvider({ spanProcessors: [new BatchSpanProcessor(exporter)] });
      provider.register();
      const router = createRouter(config);
      const telemetry = instrument(router, { registry: new Registry() });
      try {
        await measure(
          'metrics + tracing with the OTel SDK',
          () => router.chat.completions.create({ model: 'chat', messages: MESSAGES }),
          async () => drain(await router.chat.completions.create({ model: 'chat', messages: MESSAGES, stream: true })),
        );
      } finally {
        telemetry.stop();
        await router.close();
        await provider.shutdown();
        trace.disable();
        context.disable();
        propagation.disable();
      }
    }
  } finally {
    await sims.stop();
  }
  return rows;
}
