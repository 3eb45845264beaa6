import { isFailureOutcome } from '../../src/endpoint/outcome.js';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { EndpointBreaker, type Admission } from '../../src/breaker/breaker.js';
import { backoffDelay } from '../../src/breaker/backoff.js';
import { breakerSchema } from '../../src/config/schema.js';
import type { AttemptOutcome } from '../../src/endpoint/outcome.js';
import type { CircuitStateName } from '../../src/router/events.js';

const config = breakerSchema.parse({ volumeThreshold: 2, errorThresholdPercentage: 50, resetTimeoutMs: 1000, maxResetTimeoutMs: 5000, jitter: 0 });

function make(overrides: Partial<typeof config> = {}) {
  const transitions: [CircuitStateName, CircuitStateName][] = [];
  const b = new EndpointBreaker({
    endpoint: 'e',
    config: { ...config, ...overrides },
    probeHintMs: 500,
    now: () => Date.now(),
    random: () => 0.5,
    onTransition: (from, to) => transitions.push([from, to]),
  });
  return { b, transitions };
}

/** Admit and record one attempt; fails the test if it was not admitted. */
function attempt(b: EndpointBreaker, outcome: AttemptOutcome, retryAfterMs?: number): Admission {
  const a = b.admit();
  if (!a.admitted) throw new Error(`not admitted: ${a.reason}`);
  // As the router tells it: what the outcome says of the endpoint (attribution aside).
  b.record(a, outcome === 'success' ? 'success' : isFailureOutcome(outcome) ? 'failure' : 'none', retryAfterMs);
  return a;
}

const flush = () => vi.advanceTimersByTimeAsync(0);

describe('EndpointBreaker', () => {
  beforeEach(() => vi.useFakeTimers({ now: 1_000_000 }));
  afterEach(() => vi.useRealTimers());

  it('goes closed -> open -> half-open -> closed', async () => {
    const { b, transitions } = make();
    attempt(b, 'server_error');
    await flush();
    expect(b.state).toBe('closed'); // below volumeThreshold
    attempt(b, 'server_error');
    await flush();
    expect(b.state).toBe('open');
    const skipped = b.admit();
    expect(skipped).toEqual({ admitted: false, reason: 'open', retryAt: 1_000_000 + 1000 });
    await vi.advanceTimersByTimeAsync(999);
    expect(b.admit().admitted).toBe(false);
    await vi.advanceTimersByTimeAsync(1);
    expect(b.state).toBe('half_open');
    const probe = b.admit();
    expect(probe).toMatchObject({ admitted: true, probe: true });
    expect(b.admit()).toMatchObject({ admitted: false, reason: 'half_open_busy' });
    b.record(probe as Admission & { admitted: true }, 'success');
    await flush();
    expect(b.state).toBe('closed');
    expect(transitions).toEqual([['closed', 'open'], ['open', 'half_open'], ['half_open', 'closed']]);
  });

  it('re-opens on a failed probe and backs off the open period, capped', async () => {
    const { b } = make();
    attempt(b, 'timeout');
    attempt(b, 'timeout');
    await flush();
    const periods: number[] = [];
    for (let i = 0; i < 5; i++) {
      const s = b.snapshot();
      periods.push(s.nextProbeAt! - Date.now());
      await vi.advanceTimersByTimeAsync(s.nextProbeAt! - Date.now());
      expect(b.state).toBe('half_open');
      attempt(b, 'connection_error');
      await flush();
      expect(b.state).toBe('open');
    }
    expect(periods).toEqual([1000, 2000, 4000, 5000, 5000]);
    expect(b.snapshot().consecutiveTrips).toBe(6);
    // A success resets the backoff: the next trip opens for the base period again.
    await vi.advanceTimersByTimeAsync(5000);
    attempt(b, 'success');
    await flush();
    expect(b.state).toBe('closed');
    attempt(b, 'server_error');
    attempt(b, 'server_error');
    attempt(b, 'server_error');
    await flush();
    expect(b.state).toBe('open');
    expect(b.snapshot().nextProbeAt! - Date.now()).toBe(1000);
  });

  it('counts client_error and cancelled as neither, and they never close a half-open circuit', async () => {
    const { b } = make();
    for (let i = 0; i < 10; i++) attempt(b, i % 2 ? 'client_error' : 'cancelled');
    await flush();
    expect(b.snapshot().window).toEqual({ attempts: 0, successes: 0, failures: 0 });
    attempt(b, 'server_error');
    attempt(b, 'server_error');
    await flush();
    await vi.advanceTimersByTimeAsync(1000);
    expect(b.state).toBe('half_open');
    attempt(b, 'client_error');
    await flush();
    expect(b.state).toBe('half_open');
    attempt(b, 'cancelled');
    await flush();
    expect(b.state).toBe('half_open');
    // The probe slot was released each time: a real answer still decides.
    attempt(b, 'success');
    await flush();
    expect(b.state).toBe('closed');
  });

  it('trips on a rate strictly above the threshold once the volume is met', async () => {
    const { b } = make({ volumeThreshold: 4 });
    attempt(b, 'success');
    attempt(b, 'success');
    attempt(b, 'server_error');
    attempt(b, 'server_error');
    await flush();
    expect(b.state).toBe('closed'); // 50% is not above 50%
    attempt(b, 'server_error');
    await flush();
    expect(b.state).toBe('open');
  });

  it('honours Retry-After, capped by maxRetryAfterMs, without tripping on its own', async () => {
    const { b } = make({ maxRetryAfterMs: 3000, volumeThreshold: 10 });
    attempt(b, 'rate_limited', 10_000);
    await flush();
    expect(b.state).toBe('closed');
    expect(b.admit()).toEqual({ admitted: false, reason: 'retry_after', retryAt: 1_000_000 + 3000 });
    await vi.advanceTimersByTimeAsync(2999);
    expect(b.admit().admitted).toBe(false);
    await vi.advanceTimersByTimeAsync(1);
    expect(b.admit().admitted).toBe(true);
  });

  it('ignores results of attempts admitted before a trip', async () => {
    const { b } = make();
    const early = b.admit() as Admission & { admitted: true };
    attempt(b, 'server_error');
    attempt(b, 'server_error');
    await flush();
    await vi.advanceTimersByTimeAsync(1000);
    expect(b.state).toBe('half_open');
    b.record(early, 'success'); // a slow answer from before the trip is no probe result
    await flush();
    expect(b.state).toBe('half_open');
  });

  it('force-open holds through reset timeouts until closed; reset clears the window', async () => {
    const { b, transitions } = make();
    b.forceOpen();
    expect(b.state).toBe('open');
    await vi.advanceTimersByTimeAsync(10_000);
    expect(b.state).toBe('open');
    expect(b.admit()).toMatchObject({ admitted: false, reason: 'open' });
    expect(b.snapshot().forced).toBe('open');
    b.forceClose();
    expect(b.state).toBe('closed');
    expect(b.admit().admitted).toBe(true);
    attempt(b, 'server_error');
    await flush();
    expect(b.snapshot().window.failures).toBe(1);
    b.reset();
    expect(b.snapshot().window).toEqual({ attempts: 0, successes: 0, failures: 0 });
    expect(transitions).toEqual([['closed', 'open'], ['open', 'closed']]);
    b.shutdown();
  });
});

describe('backoffDelay', () => {
  it('grows, caps and spreads by the jitter fraction', () => {
    const o = { baseMs: 100, multiplier: 2, maxMs: 1000, jitter: 0.2 };
    expect([0, 1, 2, 3, 4, 5].map((n) => backoffDelay(n, o, () => 0.5))).toEqual([100, 200, 400, 800, 1000, 1000]);
    expect(backoffDelay(0, o, () => 0)).toBe(80);
    expect(backoffDelay(0, o, () => 0.999999)).toBe(120);
    expect(backoffDelay(5, o, () => 0.999999)).toBe(1000);
  });
});
