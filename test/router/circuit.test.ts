import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { ask, rig, type Rig } from './helpers.js';
import { CancelSource } from '../../src/endpoint/cancellation.js';
import { isRouterClosedError } from '../../src/index.js';
import { TRANSPORTS, useTransport } from './helpers.js';

let r: Rig | undefined;
afterEach(async () => {
  await r?.close();
  r = undefined;
  vi.useRealTimers();
});

const down = { always: { kind: 'status', status: 500 } } as const;

describe.each(TRANSPORTS)('%s transport', (transport) => {
  beforeEach(() => useTransport(transport));

describe('circuits over real HTTP', () => {
  it('a tripped endpoint receives zero attempts until its half-open probe', async () => {
    // Real sockets need real timers to tick; the open period is crossed by an explicit jump, not a sleep.
    vi.useFakeTimers({ shouldAdvanceTime: true });
    r = await rig({ primary: down });
    for (let i = 0; i < 3; i++) await r.router.dispatch(ask);
    expect(r.router.circuits().find((c) => c.endpoint === 'primary')!.state).toBe('open');
    expect(r.primary.stats().requests).toBe(3);

    for (let i = 0; i < 20; i++) {
      const res = await r.router.dispatch(ask);
      expect(res).toMatchObject({ endpoint: 'fallback', attempts: 1 });
    }
    expect(r.primary.stats().requests).toBe(3);
    const skips = r.events.filter((e) => e.name === 'skip');
    expect(skips).toHaveLength(20);
    expect(skips[0]!.args.slice(1, 3)).toEqual(['primary', 'open']);

    r.primary.setFaults({}); // the primary recovers
    await vi.advanceTimersByTimeAsync(60_000);
    expect(r.router.circuits().find((c) => c.endpoint === 'primary')!.state).toBe('half_open');
    const probe = await r.router.dispatch(ask);
    expect(probe.endpoint).toBe('primary');
    expect(r.primary.stats().requests).toBe(4);
    expect(r.router.circuits().find((c) => c.endpoint === 'primary')!.state).toBe('closed');
    const transitions = r.events.filter((e) => e.name === 'circuit').map((e) => e.args.slice(1).join('>'));
    expect(transitions).toEqual(['closed>open', 'open>half_open', 'half_open>closed']);
  });

  it('fails fast with the next probe time when every circuit of the route is open', async () => {
    vi.useFakeTimers({ shouldAdvanceTime: true, now: 5_000_000 });
    r = await rig({ primary: down, fallback: down });
    for (let i = 0; i < 3; i++) await r.router.dispatch(ask).catch(() => undefined);
    const before = r.primary.stats().requests + r.fallback.stats().requests;
    const err = (await r.router.dispatch(ask).catch((e: unknown) => e)) as { code: string; retryAt: number; retryAfterMs(now?: number): number };
    expect(err.code).toBe('route_unavailable');
    expect(err.retryAt).toBeGreaterThanOrEqual(5_000_000 + 60_000);
    expect(err.retryAfterMs()).toBeGreaterThan(59_000);
    expect(r.primary.stats().requests + r.fallback.stats().requests).toBe(before);
    const end = r.events.filter((e) => e.name === 'request:end').at(-1)!.args[1];
    expect(end).toMatchObject({ outcome: 'unavailable', attempts: 0 });
    expect(r.router.routes().find((x) => x.id === 'chat')!.available).toBe(false);
  });

  it('429 with Retry-After keeps all traffic off the endpoint until it passes', async () => {
    vi.useFakeTimers({ shouldAdvanceTime: true });
    r = await rig({ primary: { always: { kind: 'status', status: 429 }, retryAfterSeconds: 30 }, config: { breaker: { volumeThreshold: 100 } } });
    await r.router.dispatch(ask);
    r.primary.setFaults({});
    for (let i = 0; i < 5; i++) expect((await r.router.dispatch(ask)).endpoint).toBe('fallback');
    expect(r.primary.stats().requests).toBe(1);
    expect(r.events.filter((e) => e.name === 'skip').map((e) => e.args[2])).toEqual(Array(5).fill('retry_after'));
    await vi.advanceTimersByTimeAsync(30_000);
    expect((await r.router.dispatch(ask)).endpoint).toBe('primary');
  });

  it('a request deadline caps hangs, retries and fallbacks', async () => {
    r = await rig({ primary: { always: { kind: 'hang' } }, fallback: { always: { kind: 'hang' } }, endpoint: { timeoutMs: 60_000 } });
    const err = (await r.router.dispatch(ask, { timeout: 150 }).catch((e: unknown) => e)) as { code: string; attempts: { outcome: string }[] };
    expect(err.code).toBe('deadline_exceeded');
    // The deadline is the caller's budget, not the endpoint's fault: nothing counted.
    expect(err.attempts.map((a) => a.outcome)).toEqual(['cancelled']);
    expect(r.router.circuits().every((c) => c.window.attempts === 0)).toBe(true);
    expect(r.events.filter((e) => e.name === 'request:end').at(-1)!.args[1]).toMatchObject({ outcome: 'timeout' });
  });

  /** Sends a request, and aborts it as `how` says once the primary has it; it must end as cancelled at once. */
  async function callerAborts(rig: Rig, how: 'signal' | 'cancellation'): Promise<void> {
    const ac = new AbortController();
    const source = new CancelSource();
    const p = rig.router.dispatch(ask, how === 'signal' ? { signal: ac.signal } : { cancellation: source });
    await vi.waitFor(() => expect(rig.primary.stats().inFlight).toBe(1), { timeout: 5000 });
    if (how === 'signal') ac.abort();
    else source.cancel();
    await expect(p).rejects.toMatchObject({ code: 'cancelled' });
  }

  it.each(['signal', 'cancellation'] as const)('a caller abort (%s) ends the request at once; a silent provider is charged at its own timeout', async (how) => {
    vi.useFakeTimers({ shouldAdvanceTime: true });
    r = await rig({ primary: { always: { kind: 'hang' } } });
    await callerAborts(r, how);
    expect(r.attempts).toEqual([{ endpoint: 'primary', outcome: 'cancelled', number: 1 }]);
    expect(r.fallback.stats().requests).toBe(0);
    // Nothing known yet: the attempt goes on, watched, to learn whether the provider is alive.
    expect(r.router.circuits().every((c) => c.window.attempts === 0)).toBe(true);
    await vi.advanceTimersByTimeAsync(10_000);
    const primary = r.router.circuits().find((c) => c.endpoint === 'primary')!;
    expect(primary.window).toMatchObject({ attempts: 1, failures: 1 });
    expect(primary.inFlight).toBe(0);
    await vi.waitFor(() => expect(r!.primary.stats().inFlight).toBe(0), { timeout: 5000 });
  });

  it.each(['signal', 'cancellation'] as const)('a caller abort (%s) of a provider that is answering counts nothing', async (how) => {
    vi.useFakeTimers({ shouldAdvanceTime: true });
    r = await rig({ primary: { latencyMs: 2_000 } });
    await callerAborts(r, how);
    await vi.advanceTimersByTimeAsync(15_000);
    await vi.waitFor(() => expect(r!.router.circuits().find((c) => c.endpoint === 'primary')!.inFlight).toBe(0), { timeout: 5000 });
    expect(r.router.circuits().every((c) => c.window.attempts === 0)).toBe(true);
  });

  it('operator overrides: force-open skips the endpoint, close and reset restore it', async () => {
    r = await rig({});
    r.router.forceOpen('primary');
    expect((await r.router.dispatch(ask)).endpoint).toBe('fallback');
    expect(r.router.circuits().find((c) => c.endpoint === 'primary')).toMatchObject({ state: 'open', forced: 'open' });
    r.router.forceClose('primary');
    expect((await r.router.dispatch(ask)).endpoint).toBe('primary');
    r.router.reset('primary');
    expect(r.router.circuits().find((c) => c.endpoint === 'primary')!.window.attempts).toBe(0);
    expect(() => r!.router.forceOpen('nope')).toThrow(/unknown/);
  });

  it('names an endpoint directly as a route of one, and rejects unknown names', async () => {
    r = await rig({});
    expect((await r.router.dispatch({ ...ask, model: 'fallback' })).endpoint).toBe('fallback');
    await expect(r.router.dispatch({ ...ask, model: 'gpt-9' })).rejects.toMatchObject({ code: 'unknown_route' });
    expect(r.events.filter((e) => e.name === 'request:start')).toHaveLength(1);
  });

  it('close() leaves no timer behind and refuses new work', async () => {
    r = await rig({ primary: { always: { kind: 'hang' } } });
    const p = r.router.dispatch(ask).catch((e: unknown) => e);
    await vi.waitFor(() => expect(r!.primary.stats().inFlight).toBe(1), { timeout: 5000 });
    await r.router.close();
    const cut = await p;
    expect(cut).toMatchObject({ code: 'router_closed', route: 'chat' });
    expect(isRouterClosedError(cut)).toBe(true);
    expect(r.events.find((e) => e.name === 'request:end')!.args[1]).toMatchObject({ outcome: 'cancelled' });
    const refused = await r.router.dispatch(ask).catch((e: unknown) => e);
    expect(refused).toMatchObject({ code: 'router_closed', message: "the router was closed (request for route 'chat')" });
    expect(isRouterClosedError(refused)).toBe(true);
  });
});
});
