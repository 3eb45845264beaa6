import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { FaultSpec } from '../../src/simulator/index.js';
import { ask, rig, type Rig } from './helpers.js';
import { TRANSPORTS, useTransport } from './helpers.js';

let r: Rig | undefined;
afterEach(async () => {
  await r?.close();
  r = undefined;
});

const failing: [string, FaultSpec, string][] = [
  ['500', { always: { kind: 'status', status: 500 } }, 'server_error'],
  ['503', { always: { kind: 'status', status: 503 } }, 'server_error'],
  ['408', { always: { kind: 'status', status: 408 } }, 'server_error'],
  ['429', { always: { kind: 'status', status: 429 } }, 'rate_limited'],
  ['401', { always: { kind: 'status', status: 401 } }, 'auth_error'],
  ['403', { always: { kind: 'status', status: 403 } }, 'auth_error'],
  ['connection reset', { always: { kind: 'reset' } }, 'connection_error'],
  ['malformed JSON', { always: { kind: 'malformed' } }, 'invalid_response'],
  ['empty content', { always: { kind: 'empty' } }, 'invalid_response'],
  ['hang', { always: { kind: 'hang' } }, 'timeout'],
  ['body cut halfway', { always: { kind: 'cut' } }, 'connection_error'],
];

describe.each(TRANSPORTS)('%s transport', (transport) => {
  beforeEach(() => useTransport(transport));

describe('plain requests through the real SDK over real HTTP', () => {
  it('answers from the primary when it is healthy', async () => {
    r = await rig({});
    const res = await r.router.dispatch(ask);
    expect(res.response.choices[0]!.message.content).toBeTruthy();
    expect(res.response.model).toBe('model-a');
    expect(res).toMatchObject({ route: 'chat', endpoint: 'primary', attempts: 1 });
    expect(r.fallback.stats().requests).toBe(0);
  });

  it.each(failing)('falls back on %s, classified and counted against the circuit', async (_name, fault, outcome) => {
    // A short timeout only where the fault is a hang: elsewhere it would race a slow answer on a loaded machine.
    r = await rig({ primary: fault, endpoint: outcome === 'timeout' ? { timeoutMs: 300 } : {} });
    const res = await r.router.dispatch(ask);
    expect(res).toMatchObject({ endpoint: 'fallback', attempts: 2 });
    expect(r.attempts).toEqual([
      { endpoint: 'primary', outcome, number: 1 },
      { endpoint: 'fallback', outcome: 'success', number: 2 },
    ]);
    expect(r.router.circuits().find((c) => c.endpoint === 'primary')!.window).toEqual({ attempts: 1, successes: 0, failures: 1 });
    const fb = r.events.filter((e) => e.name === 'fallback').map((e) => e.args.slice(1));
    expect(fb).toEqual([['primary', 'fallback']]);
  });

  it('JSON asked for but prose answered is invalid_response and falls back', async () => {
    r = await rig({ primary: { always: { kind: 'not_json' } } });
    const res = await r.router.dispatch({ ...ask, response_format: { type: 'json_object' } });
    expect(JSON.parse(res.response.choices[0]!.message.content!)).toBeTruthy();
    expect(r.attempts.map((a) => a.outcome)).toEqual(['invalid_response', 'success']);
  });

  it('a user validator can reject an answer', async () => {
    r = await rig({ router: { validator: (c, ctx) => (ctx.endpoint === 'primary' ? 'too short' : undefined) } });
    const res = await r.router.dispatch(ask);
    expect(res.endpoint).toBe('fallback');
    expect(r.attempts.map((a) => a.outcome)).toEqual(['invalid_response', 'success']);
  });

  it.each([400, 404, 413, 422])('returns a %s to the caller as is: no fallback, not counted', async (status) => {
    r = await rig({ primary: { always: { kind: 'status', status } } });
    const err = await r.router.dispatch(ask).then(() => undefined, (e: unknown) => e);
    expect(err).toMatchObject({ code: 'upstream_client_error', status, endpoint: 'primary' });
    expect(r.fallback.stats().requests).toBe(0);
    expect(r.router.circuits().find((c) => c.endpoint === 'primary')!.window.attempts).toBe(0);
    expect(r.attempts).toEqual([{ endpoint: 'primary', outcome: 'client_error', number: 1 }]);
  });

  it('when every attempt fails, lists each one, with no key anywhere', async () => {
    r = await rig({ primary: { always: { kind: 'status', status: 500 } }, fallback: { always: { kind: 'status', status: 401 } } });
    const err = (await r.router.dispatch(ask).catch((e: unknown) => e)) as Error & { attempts: unknown[]; code: string };
    expect(err.code).toBe('all_attempts_failed');
    expect(err.attempts).toMatchObject([
      { endpoint: 'primary', outcome: 'server_error', status: 500 },
      { endpoint: 'fallback', outcome: 'auth_error', status: 401 },
    ]);
    const text = JSON.stringify({ m: err.message, a: err.attempts, s: String(err), e: r.events });
    expect(text).not.toContain('sk-canary');
    const end = r.events.find((e) => e.name === 'request:end')!.args[1];
    expect(end).toMatchObject({ outcome: 'failed', attempts: 2 });
  });

  it('retries the same endpoint with backoff before falling back', async () => {
    r = await rig({
      primary: { always: { kind: 'status', status: 502 } },
      endpoint: { retry: { retries: 2, baseDelayMs: 1, maxDelayMs: 2 } },
    });
    const res = await r.router.dispatch(ask);
    expect(res).toMatchObject({ endpoint: 'fallback', attempts: 4 });
    expect(r.primary.stats().requests).toBe(3);
    expect(r.attempts.map((a) => `${a.number}:${a.endpoint}`)).toEqual(['1:primary', '2:primary', '3:primary', '4:fallback']);
    expect(r.events.filter((e) => e.name === 'fallback')).toHaveLength(1);
  });

  it('does not retry outcomes outside retry.on', async () => {
    r = await rig({ primary: { always: { kind: 'status', status: 401 } }, endpoint: { retry: { retries: 3, baseDelayMs: 1 } } });
    await r.router.dispatch(ask);
    expect(r.primary.stats().requests).toBe(1);
  });

  it('connection refused is connection_error', async () => {
    const { closedPort } = await import('../../src/simulator/index.js');
    const port = await closedPort();
    r = await rig({});
    const { createRouter } = await import('../../src/router/router.js');
    const router = createRouter({
      providers: { dead: { baseURL: `http://127.0.0.1:${port}/v1` }, ok: { baseURL: r.fallback.url } },
      endpoints: { a: { provider: 'dead', model: 'm' }, b: { provider: 'ok', model: 'm' } },
      routes: { chat: { endpoints: ['a', 'b'] } },
    }, { transport });
    const outcomes: string[] = [];
    router.events.on('attempt:end', (_a, res) => outcomes.push(res.outcome));
    const res = await router.dispatch(ask);
    expect(res.endpoint).toBe('b');
    expect(outcomes).toEqual(['connection_error', 'success']);
    await router.close();
  });
});
});
