/*
 * Four replicas with shared circuit state (state.store: redis) against four without (memory), same scenarios,
 * and what the shared layer adds at concurrency 1. Standalone (not part of `npm run bench`):
 *   npx tsx bench/failover/fleet.ts
 * Needs `redis-server` on PATH; starts its own on a free loopback port. Prints a Markdown table.
 */
import { spawn } from 'node:child_process';
import { createServer } from 'node:net';
import { createRouter } from '../../src/router/router.js';
import type { Router } from '../../src/router/types.js';
import { startSimulator, type FaultSpec } from '../../src/simulator/index.js';

const ask = { model: 'chat', messages: [{ role: 'user' as const, content: 'hello' }] };

async function startRedis(): Promise<{ url: string; stop(): void }> {
  const port = await new Promise<number>((resolve) => {
    const s = createServer().listen(0, '127.0.0.1', () => {
      const p = (s.address() as { port: number }).port;
      s.close(() => resolve(p));
    });
  });
  const child = spawn('redis-server', ['--port', String(port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no'], { stdio: ['ignore', 'pipe', 'inherit'] });
  await new Promise<void>((resolve, reject) => {
    let out = '';
    child.stdout!.on('data', (d: Buffer) => (out += d.toString()).includes('Ready to accept') && resolve());
    child.once('exit', (code) => reject(new Error(`redis-server exited ${code}`)));
  });
  return { url: `redis://127.0.0.1:${port}`, stop: () => child.kill('SIGTERM') };
}

let prefix = 0;
async function fleet(redisUrl: string | undefined, faults: FaultSpec, timeoutMs: number, replicas = 4) {
  const primary = await startSimulator({ faults });
  const fallback = await startSimulator({});
  const config = {
    providers: { p1: { baseURL: primary.url }, p2: { baseURL: fallback.url } },
    endpoints: { primary: { provider: 'p1', model: 'a', timeoutMs }, fallback: { provider: 'p2', model: 'b', timeoutMs } },
    routes: { chat: { endpoints: ['primary', 'fallback'] } },
    breaker: { volumeThreshold: 5, resetTimeoutMs: 60_000, jitter: 0 },
    retry: { retries: 0 },
    ...(redisUrl ? { state: { store: 'redis' as const, url: redisUrl, keyPrefix: `bench${++prefix}` } } : {}),
  };
  const routers = Array.from({ length: replicas }, () => createRouter(config, { transport: 'native' }));
  const deadline = Date.now() + 5_000;
  while (redisUrl && !routers.every((r) => r.stateStatus?.()?.up) && Date.now() < deadline) await new Promise((r) => setTimeout(r, 5));
  return {
    routers,
    primaryHits: () => primary.stats().requests,
    async close() {
      await Promise.all(routers.map((r) => r.close()));
      await Promise.all([primary.close(), fallback.close()]);
    },
  };
}

/** Every replica sends `n` requests one after another, all replicas at once. */
async function drive(routers: Router[], n: number): Promise<number> {
  const t0 = performance.now();
  await Promise.all(routers.map(async (r) => {
    for (let i = 0; i < n; i++) await r.chat.completions.create(ask);
  }));
  return performance.now() - t0;
}

async function p50(redisUrl: string | undefined, n: number): Promise<number> {
  const f = await fleet(redisUrl, {}, 5_000, 1);
  const r = f.routers[0]!;
  for (let i = 0; i < 500; i++) await r.chat.completions.create(ask);
  const times: number[] = [];
  for (let i = 0; i < n; i++) {
    const t = performance.now();
    await r.chat.completions.create(ask);
    times.push(performance.now() - t);
  }
  await f.close();
  times.sort((a, b) => a - b);
  return times[Math.floor(times.length / 2)]!;
}

const redis = await startRedis();
try {
  const rows: string[] = [];
  for (const [name, faults, timeoutMs] of [
    ['dead primary (500s)', { always: { kind: 'status', status: 500 } }, 2_000],
    ['black hole (never answers, timeout 200 ms)', { always: { kind: 'hang' } }, 200],
  ] as const) {
    const cells: string[] = [];
    for (const url of [redis.url, undefined]) {
      const f = await fleet(url, faults as FaultSpec, timeoutMs);
      const ms = await drive(f.routers, 10);
      cells.push(`${f.primaryHits()} attempts, ${Math.round(ms)} ms`);
      await f.close();
    }
    rows.push(`| ${name} | ${cells.join(' | ')} |`);
  }
  // Alternated, three rounds each, the middle p50 of each kept: the host's speed drifts within minutes.
  const n = 2_000;
  const mems: number[] = [];
  const shareds: number[] = [];
  for (let round = 0; round < 3; round++) {
    mems.push(await p50(undefined, n));
    shareds.push(await p50(redis.url, n));
  }
  const mid = (xs: number[]) => xs.sort((a, b) => a - b)[1]!;
  const [mem, shared] = [mid(mems), mid(shareds)];
  console.log('| 4 replicas, each 10 requests in a row, all at once | shared (redis) | not shared (memory) |');
  console.log('|---|---|---|');
  for (const r of rows) console.log(r);
  console.log(`\nconcurrency 1, 3 rounds of ${n} requests to a healthy primary, middle p50: ${mem.toFixed(3)} ms (memory), ${shared.toFixed(3)} ms (redis): ${(shared - mem).toFixed(3)} ms added`);
} finally {
  redis.stop();
}
