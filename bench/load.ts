import autocannon from 'autocannon';
import { summarize, type Summary } from './stats.js';

/*
 * The HTTP load generator: autocannon (keep-alive connections, a fixed number of requests in flight), with
 * every response time kept as a float: autocannon's own histogram records whole milliseconds, too coarse for
 * sub-millisecond added latencies.
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
}

export interface LoadResult {
  responses: number;
  non2xx: number;
  errors: number;
  /** 2xx responses per second. */
  rps: number;
  /** Latency of 2xx responses, ms. */
  latency: Summary;
}

export function runLoad(o: LoadOptions): Promise<LoadResult> {
  return new Promise((resolve, reject) => {
    const latencies: number[] = [];
    let responses = 0;
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
        if (err) return reject(err instanceof Error ? err : new Error(String(err)));
        const rps = latencies.length / ((performance.now() - started) / 1000);
        resolve({ responses, non2xx: result.non2xx, errors: result.errors, rps, latency: summarize(latencies) });
      },
    );
    instance.on('response', (_client: unknown, status: number, _bytes: number, time: number) => {
      responses++;
      if (status >= 200 && status < 300) latencies.push(time);
    });
    const limit = setTimeout(() => instance.stop(), o.limitMs ?? (o.amount !== undefined ? 600_000 : (o.durationMs ?? 5_000) + 30_000));
  });
}
