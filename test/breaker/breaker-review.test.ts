import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { EndpointBreaker, type Admission } from '../../src/breaker/breaker.js';
import { breakerSchema } from '../../src/config/schema.js';

/* Breaker correctness found in review (issue 17, item 7): each case failed before its fix. */

const config = breakerSchema.parse({ volumeThreshold: 2, errorThresholdPercentage: 50, resetTimeoutMs: 1000, maxResetTimeoutMs: 8000, jitter: 0 });
const make = () => new EndpointBreaker({ endpoint: 'e', config, probeHintMs: 500, now: () => Date.now(), random: () => 0.5, onTransition: () => undefined });
const admitted = (b: EndpointBreaker): Admission & { admitted: true } => {
  const a = b.admit();
  if (!a.admitted) throw new Error(`not admitted: ${a.reason}`);
  return a;
};
const flush = () => vi.advanceTimersByTimeAsync(0);

/** Trips `b`: two failures in the window. */
async function trip(b: EndpointBreaker): Promise<void> {
  for (let i = 0; i < 2; i++) b.record(admitted(b), 'failure');
  await flush();
  expect(b.state).toBe('open');
}

describe('EndpointBreaker (review fixes)', () => {
  beforeEach(() => vi.useFakeTimers({ now: 1_000_000 }));
  afterEach(() => vi.useRealTimers());

  it('reading its state sorts nothing: rolling percentiles are off', async () => {
    const b = make();
    for (let i = 0; i < 200; i++) b.record(admitted(b), 'success');
    await flush();
    const sort = vi.spyOn(Array.prototype, 'sort');
    b.snapshot();
    b.record(admitted(b), 'failure');
    await flush();
    expect(sort).not.toHaveBeenCalled();
    sort.mockRestore();
    b.shutdown();
  });

  it('a successful probe closes with a fresh window: one failure does not re-trip, and the backoff can grow', async () => {
    const b = make();
    await trip(b);
    await vi.advanceTimersByTimeAsync(1000);
    b.record(admitted(b), 'success');
    await flush();
    expect(b.state).toBe('closed');
    b.record(admitted(b), 'failure');
    await flush();
    expect(b.state).toBe('closed');
    expect(b.snapshot().window).toEqual({ attempts: 1, successes: 0, failures: 1 });
    b.shutdown();
  });

  it('an admin close clears the window and a Retry-After block', async () => {
    const b = make();
    b.record(admitted(b), 'failure', 60_000);
    await flush();
    expect(b.admit()).toMatchObject({ admitted: false, reason: 'retry_after' });
    b.forceClose();
    expect(b.admit().admitted).toBe(true);
    expect(b.snapshot().window.attempts).toBe(0);
    expect(b.snapshot().retryAfterUntil).toBeUndefined();
    b.shutdown();
  });

  it('a stale probe (admitted before a close) does not free a later probe\'s slot', async () => {
    const b = make();
    await trip(b);
    await vi.advanceTimersByTimeAsync(1000);
    const stale = admitted(b);
    expect(stale.probe).toBe(true);
    b.forceClose();
    await trip(b);
    await vi.advanceTimersByTimeAsync(1000);
    const current = admitted(b);
    expect(current.probe).toBe(true);
    b.record(stale, 'none');
    expect(b.admit()).toMatchObject({ admitted: false, reason: 'half_open_busy' });
    b.record(current, 'success');
    await flush();
    expect(b.state).toBe('closed');
    b.shutdown();
  });
});
