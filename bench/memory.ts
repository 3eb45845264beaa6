import { runLoad } from './load.js';
import { setTimeout as sleep } from 'node:timers/promises';
import { mb } from './stats.js';
import { body, startGateway, startUpstreams } from './servers.js';

/*
 * Memory over a long run: `switchyard serve` takes `requests` requests at high concurrency, three quarters
 * plain and one quarter streamed; its RSS (/proc) and heap after a full GC are read after warm-up, every two
 * seconds during the run (RSS), and after it (idle, full GC). The heap is read by a one-line preload: on
 * SIGUSR2 it collects garbage and prints the heap used.
 */

const HEAP_PROBE = 'data:text/javascript,process.on("SIGUSR2",()=>{gc();gc();process.stderr.write("heap-used "+process.memoryUsage().heapUsed+"\\n")})';

export interface MemoryResult {
  completed: number;
  before: { rss: number; heapUsed: number };
  after: { rss: number; heapUsed: number };
  peakRss: number;
}

export async function memoryRun(opts: { requests: number; connections: number; limitMs: number; log: (l: string) => void }): Promise<MemoryResult> {
  const { configPath } = await startUpstreams();
  const gateway = await startGateway(configPath, { nodeArgs: ['--expose-gc', '--import', HEAP_PROBE] });
  const read = async () => {
    const from = gateway.mark();
    gateway.signal('SIGUSR2');
    const heapUsed = Number((await gateway.waitFor(/heap-used (\d+)/, from))[1]);
    return { rss: gateway.rssBytes(), heapUsed };
  };
  const load = (stream: boolean, amount: number, limitMs?: number) =>
    runLoad({ url: `${gateway.url}/v1/chat/completions`, body: body('chat', stream), connections: opts.connections, amount, limitMs });
  await load(false, 5_000);
  await load(true, 1_700);
  await sleep(1_000);
  const before = await read();
  let peakRss = before.rss;
  const sampler = setInterval(() => (peakRss = Math.max(peakRss, gateway.rssBytes())), 2_000);
  let completed = 0;
  const t0 = performance.now();
  try {
    const plain = Math.round(opts.requests * 0.75);
    completed += (await load(false, plain, opts.limitMs)).responses;
    opts.log(`  memory run: ${completed} requests`);
    completed += (await load(true, opts.requests - plain, Math.max(1_000, opts.limitMs - (performance.now() - t0)))).responses;
  } finally {
    clearInterval(sampler);
  }
  // Idle: keep-alive sockets to the upstream expire (4-5 s), then a full GC.
  await sleep(6_000);
  const after = await read();
  opts.log(`  memory: ${completed} requests; RSS ${mb(before.rss)} -> ${mb(after.rss)} (peak ${mb(peakRss)}), heap after GC ${mb(before.heapUsed)} -> ${mb(after.heapUsed)}`);
  return { completed, before, after, peakRss };
}
