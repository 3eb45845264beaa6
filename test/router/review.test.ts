import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { ask, rig, TRANSPORTS, useTransport, type Rig } from './helpers.js';

/* Router correctness found in review (issue 17, item 7), over real HTTP: each case failed before its fix. */

let r: Rig | undefined;
afterEach(async () => {
  await r?.close();
  r = undefined;
  vi.useRealTimers();
});

describe.each(TRANSPORTS)('%s transport', (transport) => {
  beforeEach(() => useTransport(transport));

  it.each(['request:start', 'attempt:start', 'attempt:end', 'request:end'] as const)(
    'a router.events listener that throws on %s changes nothing: answers, slots and other listeners go on',
    async (name) => {
      const warn = vi.spyOn(process, 'emitWarning').mockImplementation(() => undefined);
      r = await rig({ endpoint: { maxConcurrent: 1 } });
      r.router.events.on(name, () => {
        throw new Error('listener bug');
      });
      let after = 0;
      r.router.events.on('request:end', () => after++);
      for (let i = 0; i < 3; i++) expect((await r.router.dispatch(ask)).endpoint).toBe('primary');
      expect(after).toBe(3);
      expect(r.router.circuits().find((c) => c.endpoint === 'primary')!.inFlight).toBe(0);
      expect(warn).toHaveBeenCalledTimes(1);
      warn.mockRestore();
    },
  );

  it('an async listener that rejects is fenced too: no unhandled rejection, the router goes on', async () => {
    const warn = vi.spyOn(process, 'emitWarning').mockImplementation(() => undefined);
    const unhandled: unknown[] = [];
    const onUnhandled = (e: unknown) => unhandled.push(e);
    process.on('unhandledRejection', onUnhandled);
    r = await rig({});
    r.router.events.on('request:end', async () => {
      throw new Error('async listener bug');
    });
    expect((await r.router.dispatch(ask)).endpoint).toBe('primary');
    await new Promise((resolve) => setImmediate(resolve));
    process.off('unhandledRejection', onUnhandled);
    expect(unhandled).toEqual([]);
    expect(warn).toHaveBeenCalledTimes(1);
    warn.mockRestore();
  });

  it('a 503 with Retry-After keeps traffic off the endpoint until it passes', async () => {
    vi.useFakeTimers({ shouldAdvanceTime: true });
    r = await rig({ primary: { always: { kind: 'status', status: 503 }, retryAfterSeconds: 20 }, config: { breaker: { volumeThreshold: 100 } } });
    expect((await r.router.dispatch(ask)).endpoint).toBe('fallback');
    r.primary.setFaults({});
    for (let i = 0; i < 3; i++) expect((await r.router.dispatch(ask)).endpoint).toBe('fallback');
    expect(r.primary.stats().requests).toBe(1);
    await vi.advanceTimersByTimeAsync(20_000);
    expect((await r.router.dispatch(ask)).endpoint).toBe('primary');
  });

  it('a half-open circuit admits exactly one probe among concurrent requests', async () => {
    vi.useFakeTimers({ shouldAdvanceTime: true });
    r = await rig({ primary: { always: { kind: 'status', status: 500 } }, config: { breaker: { volumeThreshold: 2, resetTimeoutMs: 1_000, jitter: 0 } } });
    for (let i = 0; i < 2; i++) await r.router.dispatch(ask);
    expect(r.router.circuits().find((c) => c.endpoint === 'primary')!.state).toBe('open');
    r.primary.setFaults({ latencyMs: 200 });
    await vi.advanceTimersByTimeAsync(1_000);
    const before = r.primary.stats().requests;
    const all = await Promise.all(Array.from({ length: 8 }, () => r!.router.dispatch(ask)));
    expect(r.primary.stats().requests - before).toBe(1);
    expect(all.filter((x) => x.endpoint === 'primary')).toHaveLength(1);
  });
});
