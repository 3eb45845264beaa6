import autocannon from 'autocannon';
import { summarize, type Summary } from './stats.js';

/*
 * The HTTP load generator: autocannon (keep-alive connections, a fixed number of requests in flight), with
 * every response time kept as a float. autocannon's own histogram records whole milliseconds, too coarse
 * for sub-millisecond added latencies.
 */

export interface LoadOptions {
  url: string;
  body: string;
  headers?: Record<string, string>;
  /** Requests in flight (one per keep-alive connection). */
  connections: number;
  /** Run length; ignored when `amount` is set. */
  durationMs?: number;
  /** Stop after this many responses. */
  amount?: number;
  /** Hard stop whatever happens (default: duration + 30 s, or 10 minutes with `amount`). */
  limitMs?: number;
  /** Called every second with the responses so far. */
  onTick?: (responses: number) => void;
}

export interface LoadResult {
  responses: number;
  ok: number;
  non2xx: number;
  errors: number;
  timeouts: number;
  elapsedS: number;
  /** 2xx responses per second. */
  rps: number;
  /** Latency of 2xx responses, ms. */
  latency: Summary;
}

export function runLoad(o: LoadOptions): Promise<LoadResult> {
  return new Promise((resolve, reject) => {
    const latencies: number[] = [];
    let responses = 0;
    let ok = 0;
    const started = performance.now();
    const instance = autocannon(
      {
        url: o.url,
        method: 'POST',
        body: o.body,
        headers: { 'content-type': 'application/json', ...o.headers },
        connections: o.connections,
        pipelining: 1,
        timeout: 10,
        ...(o.amount !== undefined ? { amount: o.amount } : { duration: Math.max(0.1, (o.durationMs ?? 5_000) / 1000) }),
      },
      (err: unknown, result: autocannon.Result) => {
        clearTimeout(limit);
        clearInterval(tick);
        if (err) return reject(err instanceof Error ? err : new Error(String(err)));
        const elapsedS = (performance.now() - started) / 1000;
        resolve({
          responses,
          ok,
          non2xx: result.non2xx,
          errors: result.errors,
          timeouts: result.timeouts,
          elapsedS,
          rps: ok / elapsedS,
          latency: summarize(latencies),
        });
      },
    );
    instance.on('response', (_client: unknown, status: number, _bytes: number, time: number) => {
      responses++;
      if (status >= 200 && status < 300) {
        ok++;
        latencies.push(time);
      }
    });
    const limitMs = o.limitMs ?? (o.amount !== undefined ? 600_000 : (o.durationMs ?? 5_000) + 30_000);
    const limit = setTimeout(() => instance.stop(), limitMs);
    const tick = setInterval(() => o.onTick?.(responses), 1_000);
  });
}
