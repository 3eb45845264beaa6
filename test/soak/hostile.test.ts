import { request, type IncomingMessage } from 'node:http';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startStack, waitFor, type Stack } from '../gateway/helpers.js';
import { hostileProvider, startRecorder, type HostileProvider, type Recorder } from '../hostile/hostile-provider.js';

/*
 * The chaos soak's hostile half (issue 18), short enough for `npm test`: mixed plain and streamed traffic
 * through the gateway to providers that send endless lines, endless 1 MB events, cross-origin redirects, an
 * unasked 100 Continue and their own key, next to a healthy simulator, from clients that read normally,
 * slowly, or stop reading and leave. Every request must end cleanly (an answer, a [DONE]-ended stream, an
 * error event, or an OpenAI-shaped error status; never a reset the client did not cause), nothing reaches
 * the redirect's target, no key reaches a client, nothing stays in flight, and memory stays flat: the second
 * half of the run peaks no higher than the first, give or take.
 */

const KEY = 'sk-soak-canary-0123456789abcdef';
const DURATION_MS = 6_000;
const CLIENTS = 12;
const ROUTES = ['endless', 'huge', 'redirect', 'continue', 'echo', 'healthy'] as const;
type Reader = 'normal' | 'slow' | 'stall';

let stack: Stack;
let recorder: Recorder;
const hostile: HostileProvider[] = [];

beforeAll(async () => {
  recorder = await startRecorder();
  const kinds = { endless: 'endless-line', huge: 'huge-events', redirect: 'redirect', continue: 'continue', echo: 'echo-key' } as const;
  const providers: Record<string, Record<string, unknown>> = {};
  const endpoints: Record<string, Record<string, unknown>> = {};
  let i = 0;
  for (const [name, kind] of Object.entries(kinds)) {
    const p = await hostileProvider(kind, { target: recorder.url, secret: KEY });
    hostile.push(p);
    // Half the hostile providers over each transport.
    providers[name] = { baseURL: p.url, apiKey: KEY, transport: i++ % 2 ? 'sdk' : 'native' };
    endpoints[name] = { provider: name, model: 'm', timeoutMs: 3_000, streamIdleTimeoutMs: 1_000 };
  }
  stack = await startStack({
    upstreams: { healthy: {} },
    endpoints: { healthy: { timeoutMs: 3_000 } },
    extraProviders: providers,
    extraEndpoints: endpoints,
    routes: {
      endless: { endpoints: ['endless', 'healthy'] },
      huge: { endpoints: ['huge'] },
      redirect: { endpoints: ['redirect', 'healthy'] },
      continue: { endpoints: ['continue', 'healthy'] },
      echo: { endpoints: ['echo'] },
      healthy: { endpoints: ['healthy'] },
    },
    // Circuits open and close through the run (short reset), so skips and probes are part of it.
    breaker: { volumeThreshold: 4, resetTimeoutMs: 500, maxResetTimeoutMs: 1_000 },
    server: { apiKeys: [] },
    request: { deadlineMs: 5_000 },
    // Small events, so that cutting endless lines is cheap and the budget is reached now and then.
    limits: { maxEventBytes: 256 * 1024, maxStreamBytes: 2 * 1024 * 1024 },
  });
}, 30_000);

afterAll(async () => {
  await stack?.close();
  await Promise.all([...hostile.map((p) => p.close()), recorder?.close()]);
});

interface Outcome {
  ms?: number;
  route: string;
  stream: boolean;
  reader: Reader;
  status?: number;
  clean: boolean;
  why?: string;
  body: string;
}

/** One request, read as `reader` says; resolves with whether it ended cleanly. */
function one(route: string, stream: boolean, reader: Reader): Promise<Outcome> {
  const base = { route, stream, reader };
  return new Promise((resolve) => {
    let left = false;
    const req = request(`${stack.url}/v1/chat/completions`, { method: 'POST', headers: { 'content-type': 'application/json' } }, (res: IncomingMessage) => {
      const status = res.statusCode!;
      let body = '';
      let events = 0;
      const keep = (d: string) => {
        if (body.length < 64 * 1024) body += d;
        events += d.split('\n\n').length - 1;
      };
      const leave = () => {
        left = true;
        req.destroy();
        resolve({ ...base, status, clean: true, body });
      };
      if (reader === 'stall') {
        res.pause();
        return void setTimeout(leave, 300);
      }
      res.setEncoding('utf8').on('data', (d: string) => {
        keep(d);
        // Endless streams (the 1 MB events) are left after a few events; a slow reader pauses between reads.
        if (events > 3 && route === 'huge') return leave();
        if (reader === 'slow') {
          res.pause();
          setTimeout(() => res.resume(), 20);
        }
      });
      res.on('end', () => {
        if (left) return;
        resolve({ ...base, status, ...verdict(status, stream, res.headers['content-type'] ?? '', body), body });
      });
      res.on('error', (e) => !left && resolve({ ...base, status, clean: false, why: `response error ${e.message}`, body }));
    });
    req.on('error', (e) => !left && resolve({ ...base, clean: false, why: `request error ${e.message}`, body: '' }));
    req.end(JSON.stringify({ model: route, messages: [{ role: 'user', content: 'hi' }], stream }));
  });
}

function verdict(status: number, stream: boolean, type: string, body: string): { clean: boolean; why?: string } {
  if (status !== 200) {
    try {
      const e = JSON.parse(body) as { error?: { message?: unknown } };
      return typeof e.error?.message === 'string' ? { clean: true } : { clean: false, why: `status ${status} without an OpenAI error` };
    } catch {
      return { clean: false, why: `status ${status} with a body that is not JSON` };
    }
  }
  if (!stream) {
    try {
      return Array.isArray((JSON.parse(body) as { choices?: unknown }).choices) ? { clean: true } : { clean: false, why: 'a 200 without choices' };
    } catch {
      return { clean: false, why: 'a 200 that is not JSON' };
    }
  }
  if (!type.startsWith('text/event-stream')) return { clean: false, why: `a stream answered as ${type}` };
  const events = body.trim().split('\n\n');
  const last = events.at(-1) ?? '';
  if (last === 'data: [DONE]') return { clean: true };
  return last.startsWith('data: {"error"') ? { clean: true } : { clean: false, why: 'a stream that ended with neither [DONE] nor an error event' };
}

const rssMb = () => process.memoryUsage().rss / 1024 / 1024;

describe('hostile chaos soak (short)', () => {
  it('ends every request cleanly, leaks no key, sends nothing to a redirect target, keeps memory flat', async () => {
    const outcomes: Outcome[] = [];
    let seed = 20261205;
    const rand = () => ((seed = (seed * 1103515245 + 12345) & 0x7fffffff) / 0x7fffffff);
    const pick = <T>(xs: readonly T[]) => xs[Math.floor(rand() * xs.length)]!;
    const started = Date.now();
    const peaks = [0, 0];
    const sampler = setInterval(() => {
      const half = Date.now() - started < DURATION_MS / 2 ? 0 : 1;
      peaks[half] = Math.max(peaks[half]!, rssMb());
    }, 50);
    try {
      await Promise.all(
        Array.from({ length: CLIENTS }, async () => {
          while (Date.now() - started < DURATION_MS) {
            const t0 = Date.now();
            const o = await one(pick(ROUTES), rand() < 0.6, pick(['normal', 'normal', 'slow', 'stall'] as const));
            o.ms = Date.now() - t0;
            outcomes.push(o);
          }
        }),
      );
    } finally {
      clearInterval(sampler);
    }
    if (process.env.SOAK_DEBUG) for (const o of outcomes) process.stderr.write(`${o.route} ${o.stream} ${o.reader} ${o.status} ${o.ms}ms\n`);
    const dirty = outcomes.filter((o) => !o.clean);
    expect(dirty.map((o) => `${o.route} ${o.stream ? 'stream' : 'plain'} ${o.reader}: ${o.why}`)).toEqual([]);
    // It did what it is for: every route was hit, streamed and plain, and answers came through.
    for (const r of ROUTES) expect(outcomes.filter((o) => o.route === r).length, r).toBeGreaterThan(3);
    expect(outcomes.filter((o) => o.status === 200).length).toBeGreaterThan(20);
    expect(outcomes.length).toBeGreaterThan(40);

    for (const o of outcomes) expect(o.body).not.toContain(KEY);
    expect(stack.logText()).not.toContain(KEY);
    expect(recorder.got).toEqual([]);
    await waitFor(() => stack.gateway.inFlight() === 0, 'every request to settle', 10_000);
    // Flat: no growth from one half of the run to the next beyond noise.
    expect(peaks[1]!, `RSS peaks ${peaks.map(Math.round).join(' / ')} MB`).toBeLessThan(peaks[0]! * 1.25 + 40);
  }, 60_000);
});
