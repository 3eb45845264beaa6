import { sleep } from './cleanup.js';
import { runLoad, type LoadResult } from './load.js';
import { body, startGateway, startUpstreams } from './overhead-gateway.js';
import type { ProcessProbe } from './procs.js';

/*
 * Memory over a long run: the gateway child (with --expose-gc, so "after GC" means something) takes
 * `requests` requests at high concurrency, three quarters plain and one quarter streamed; its RSS and heap
 * are read before (after warm-up and a full GC), every two seconds during the run, and after (idle, full GC).
 */

export interface MemoryResult {
  completed: number;
  before: ProcessProbe;
  after: ProcessProbe;
  /** The highest RSS and heap used seen in the samples. */
  peak: { rss: number; heapUsed: number };
}

export async function memoryRun(opts: { requests: number; connections: number; limitMs: number; log: (l: string) => void }): Promise<MemoryResult> {
  const { sims, configPath } = await startUpstreams();
  try {
    const gateway = await startGateway(configPath, { nodeArgs: ['--expose-gc'] });
    try {
      const url = `${gateway.ready.url as string}/v1/chat/completions`;
      const warm = 5_000;
      await runLoad({ url, body: body('chat', false), connections: opts.connections, amount: warm });
      await runLoad({ url, body: body('chat', true), connections: opts.connections, amount: Math.round(warm / 3) });
      await sleep(1_000);
      await gateway.call('gc');
      const before = await gateway.call<ProcessProbe>('probe');
      const t0 = performance.now();
      const peak = { rss: before.rss, heapUsed: before.heapUsed };
      const sampler = setInterval(() => {
        void gateway.call<ProcessProbe>('probe').then(
          (p) => void ((peak.rss = Math.max(peak.rss, p.rss)), (peak.heapUsed = Math.max(peak.heapUsed, p.heapUsed))),
          () => undefined,
        );
      }, 2_000);
      const loads: LoadResult[] = [];
      try {
        const plain = Math.round(opts.requests * 0.75);
        const until = performance.now() + opts.limitMs;
        let done = 0;
        const progress = (n: number) => {
          if (Math.floor((done + n) / 20_000) !== Math.floor((done + n - 1) / 20_000)) opts.log(`  memory run: ${done + n} requests`);
        };
        loads.push(await runLoad({ url, body: body('chat', false), connections: opts.connections, amount: plain, limitMs: opts.limitMs, onTick: progress }));
        done += loads[0]!.responses;
        const left = Math.max(1_000, until - performance.now());
        loads.push(await runLoad({ url, body: body('chat', true), connections: opts.connections, amount: opts.requests - plain, limitMs: left, onTick: progress }));
      } finally {
        clearInterval(sampler);
      }
      const elapsedS = (performance.now() - t0) / 1000;
      // Idle: keep-alive sockets to the upstream expire (4-5 s), then a full GC.
      await sleep(6_000);
      await gateway.call('gc');
      const after = await gateway.call<ProcessProbe>('probe');
      const completed = loads.reduce((a, l) => a + l.responses, 0);
      opts.log(`  memory: ${completed} requests in ${elapsedS.toFixed(0)} s; RSS ${(before.rss / 1048576).toFixed(1)} -> ${(after.rss / 1048576).toFixed(1)} MB (peak ${(peak.rss / 1048576).toFixed(1)}), heap after GC ${(before.heapUsed / 1048576).toFixed(1)} -> ${(after.heapUsed / 1048576).toFixed(1)} MB`);
      return { completed, before, after, peak };
    } finally {
      await gateway.stop();
    }
  } finally {
    await sims.stop();
  }
}
