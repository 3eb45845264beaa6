import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import type { Admission } from '../../src/breaker/breaker.js';
import { breakerSchema, type BreakerConfig } from '../../src/config/schema.js';
import type { CircuitStateName } from '../../src/router/events.js';
import { FleetBreaker } from '../../src/state/fleet-breaker.js';
import { Mirror, type FleetState } from '../../src/state/fleet-state.js';
import type { FleetAction, LeaseAnswer, SharedStateStore } from '../../src/state/store.js';

/*
 * FleetBreaker's own logic, deterministic: a fake store (a real Mirror, the writes recorded, the lease
 * answered by the test) and fake timers. Redis itself is in fleet.test.ts and scripts.test.ts.
 */

class FakeStore implements SharedStateStore {
  readonly kind = 'redis' as const;
  readonly replicaId = 'me';
  readonly mirror = new Mirror();
  up = true;
  offset = 0;
  records: { endpoint: string; gen: number; ok: boolean }[] = [];
  writes: { action: FleetAction; gen: number; retryAfterMs?: number }[] = [];
  leaseAsks: number[] = [];
  leaseAnswer: LeaseAnswer = { won: true };
  released: number[] = [];
  private readonly statusListeners = new Set<(up: boolean) => void>();
  status() {
    return { up: this.up, lagSeconds: 0 };
  }
  onStatus(l: (up: boolean) => void) {
    this.statusListeners.add(l);
    return () => this.statusListeners.delete(l);
  }
  setUp(up: boolean) {
    this.up = up;
    for (const l of this.statusListeners) l(up);
  }
  async close() {}
  view(e: string) {
    return this.mirror.get(e);
  }
  watch(e: string, l: (s: FleetState, p: FleetState | undefined) => void) {
    return this.mirror.watch(e, l);
  }
  fleetNow() {
    return Date.now() + this.offset;
  }
  toLocal(ms: number) {
    return ms - this.offset;
  }
  provisional(e: string, patch: Partial<FleetState>) {
    this.mirror.provisional(e, patch);
  }
  record(endpoint: string, gen: number, ok: boolean) {
    this.records.push({ endpoint, gen, ok });
  }
  transition(_e: string, action: FleetAction, gen: number, _b: BreakerConfig, retryAfterMs?: number) {
    this.writes.push({ action, gen, ...(retryAfterMs ? { retryAfterMs } : {}) });
  }
  async acquireLease(_e: string, gen: number) {
    this.leaseAsks.push(gen);
    return this.leaseAnswer;
  }
  releaseLease(_e: string, gen: number) {
    this.released.push(gen);
  }
  rememberConversation() {}
  async conversationHolder() {
    return undefined;
  }
  /** What a pub/sub message from Redis would do. */
  publish(s: Partial<FleetState>) {
    const cur = this.mirror.get('e');
    this.mirror.apply('e', { gen: (cur?.gen ?? 0) + 1, open: false, untilMs: 0, forced: false, trips: 0, openedAt: 0, retryUntil: 0, origin: 'other', act: 'trip', ...s });
  }
}

const config = breakerSchema.parse({ volumeThreshold: 3, errorThresholdPercentage: 50, resetTimeoutMs: 1000, jitter: 0 });

function make() {
  const store = new FakeStore();
  const transitions: [CircuitStateName, CircuitStateName][] = [];
  const b = new FleetBreaker(
    { endpoint: 'e', config, probeHintMs: 500, now: () => Date.now(), random: () => 0.5, onTransition: (f, t) => transitions.push([f, t]) },
    store,
  );
  return { b, store, transitions };
}

function admitted(a: Admission): Admission & { admitted: true } {
  if (!a.admitted) throw new Error(`not admitted: ${a.reason}`);
  return a;
}

describe('FleetBreaker', () => {
  beforeEach(() => vi.useFakeTimers({ now: 1_000_000 }));
  afterEach(() => vi.useRealTimers());

  it('publishes what its breaker charges, under the generation it admitted the attempt in, and nothing else', () => {
    const { b, store } = make();
    store.publish({ gen: 7, act: 'close' });
    const a = admitted(b.admit());
    store.publish({ gen: 8, act: 'retry_after' });
    b.record(a, 'success');
    b.record(admitted(b.admit()), 'none');
    b.record(admitted(b.admit()), 'failure');
    expect(store.records).toEqual([
      { endpoint: 'e', gen: 7, ok: true },
      { endpoint: 'e', gen: 8, ok: false },
    ]);
    expect(b.snapshot().source).toBe('fleet');
  });

  it('skips a fleet-open circuit at once, from the mirror, with the fleet deadline as retryAt', () => {
    const { b, store, transitions } = make();
    store.publish({ open: true, untilMs: Date.now() + 2000, trips: 1, openedAt: Date.now() });
    expect(b.admit()).toEqual({ admitted: false, reason: 'open', retryAt: Date.now() + 2000 });
    expect(b.state).toBe('open');
    expect(b.snapshot()).toMatchObject({ state: 'open', source: 'fleet', nextProbeAt: Date.now() + 2000, consecutiveTrips: 1 });
    expect(transitions).toEqual([['closed', 'open']]);
  });

  it('half-open fleet-wide: skips until it holds the lease, then exactly one probe, whose verdict goes to the fleet', async () => {
    const { b, store, transitions } = make();
    store.publish({ gen: 5, open: true, untilMs: Date.now() + 1000, trips: 1 });
    store.leaseAnswer = { won: false };
    await vi.advanceTimersByTimeAsync(1000);
    expect(transitions.at(-1)).toEqual(['open', 'half_open']);
    expect(store.leaseAsks).toEqual([5]);
    // Requests meanwhile are skipped and do not bid again (no Redis call per request).
    for (let i = 0; i < 5; i++) expect(b.admit()).toMatchObject({ admitted: false, reason: 'half_open_busy' });
    expect(store.leaseAsks).toEqual([5]);
    // Lost: it bids again once the lease may have lapsed (2 x probeHintMs + 250 ms).
    store.leaseAnswer = { won: true };
    await vi.advanceTimersByTimeAsync(1250);
    expect(store.leaseAsks).toEqual([5, 5]);
    const probe = admitted(b.admit());
    expect(b.admit()).toMatchObject({ admitted: false, reason: 'half_open_busy' });
    b.record(probe, 'failure');
    expect(store.writes).toEqual([{ action: 'probe_failed', gen: 5 }]);
    expect(store.records).toEqual([]);
  });

  it('a probe with no verdict keeps the lease: the next request probes again; a good one closes the fleet', async () => {
    const { b, store } = make();
    store.publish({ gen: 5, open: true, untilMs: Date.now() + 10, trips: 1 });
    await vi.advanceTimersByTimeAsync(10);
    b.record(admitted(b.admit()), 'none');
    expect(store.writes).toEqual([]);
    b.record(admitted(b.admit()), 'success');
    expect(store.writes).toEqual([{ action: 'probe_ok', gen: 5 }]);
  });

  it("a stream's probe is judged at its first chunk", async () => {
    const { b, store } = make();
    store.publish({ gen: 5, open: true, untilMs: Date.now() + 10 });
    await vi.advanceTimersByTimeAsync(10);
    const probe = admitted(b.admit());
    b.commit(probe);
    expect(store.writes).toEqual([{ action: 'probe_ok', gen: 5 }]);
  });

  it('an expired or never-won lease gives no probe; a lease is good for the first probeHintMs only', async () => {
    const { b, store } = make();
    store.publish({ gen: 5, open: true, untilMs: Date.now() + 10 });
    await vi.advanceTimersByTimeAsync(10);
    vi.advanceTimersByTime(500);
    expect(b.admit()).toMatchObject({ admitted: false, reason: 'half_open_busy' });
  });

  it('with the store down past the fleet deadline, its own breaker decides; before it, the deadline holds', async () => {
    const { b, store } = make();
    store.publish({ gen: 5, open: true, untilMs: Date.now() + 1000 });
    store.setUp(false);
    expect(b.admit()).toMatchObject({ admitted: false, reason: 'open' });
    await vi.advanceTimersByTimeAsync(1000);
    expect(b.state).toBe('closed');
    expect(b.snapshot().source).toBe('replica');
    expect(b.admit().admitted).toBe(true);
  });

  it('its own trip goes to the fleet; a close by the fleet closes its own breaker', async () => {
    const { b, store } = make();
    store.publish({ gen: 5, act: 'close' });
    for (let i = 0; i < 3; i++) b.record(admitted(b.admit()), 'failure');
    await vi.advanceTimersByTimeAsync(0);
    expect(store.writes).toEqual([{ action: 'trip', gen: 5 }]);
    expect(b.snapshot()).toMatchObject({ state: 'open', source: 'replica' });
    store.publish({ gen: 9, act: 'force_close' });
    expect(b.snapshot()).toMatchObject({ state: 'closed', source: 'fleet' });
    expect(b.admit().admitted).toBe(true);
  });

  it('operator overrides are written to the fleet and shown at once; a forced fleet circuit is skipped', () => {
    const { b, store } = make();
    store.publish({ gen: 5, act: 'close' });
    b.forceOpen();
    expect(store.writes).toEqual([{ action: 'force_open', gen: 5 }]);
    expect(b.snapshot()).toMatchObject({ state: 'open', forced: 'open', source: 'fleet' });
    b.reset();
    expect(store.writes.at(-1)).toEqual({ action: 'reset', gen: 5 });
    expect(b.snapshot()).toMatchObject({ state: 'closed' });
    expect(b.snapshot().forced).toBeUndefined();
    store.publish({ forced: true, open: true, act: 'force_open' });
    expect(b.admit()).toMatchObject({ admitted: false, reason: 'open' });
  });

  it("honours the fleet's Retry-After and publishes its own, capped by maxRetryAfterMs", () => {
    const { b, store } = make();
    store.publish({ gen: 5, act: 'close' });
    b.record(admitted(b.admit()), 'failure', 10_000_000);
    expect(store.writes).toEqual([{ action: 'retry_after', gen: 0, retryAfterMs: config.maxRetryAfterMs }]);
    store.publish({ retryUntil: Date.now() + 3000, act: 'retry_after' });
    const { b: other, store: otherStore } = make();
    otherStore.publish({ retryUntil: Date.now() + 3000 });
    expect(other.admit()).toEqual({ admitted: false, reason: 'retry_after', retryAt: Date.now() + 3000 });
  });

  it('converts Redis time with the measured offset', () => {
    const { b, store } = make();
    store.offset = 5_000; // Redis's clock 5 s ahead of this replica's
    store.publish({ open: true, untilMs: Date.now() + 5_000 + 300 });
    expect(b.admit()).toEqual({ admitted: false, reason: 'open', retryAt: Date.now() + 300 });
  });

  it('shutdown releases a held lease and stops its timers', async () => {
    const { b, store } = make();
    store.publish({ gen: 5, open: true, untilMs: Date.now() + 10 });
    await vi.advanceTimersByTimeAsync(10);
    b.shutdown();
    expect(store.released).toEqual([5]);
    expect(vi.getTimerCount()).toBe(0);
  });
});
