import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { EndpointBreaker } from '../../src/breaker/breaker.js';
import { QUOTA_COOLDOWN } from '../../src/endpoint/classify.js';
import { breakerSchema } from '../../src/config/schema.js';

describe('a spend or quota cap (quota_exhausted) keeps the endpoint off for quotaCooldownMs', () => {
  beforeEach(() => vi.useFakeTimers({ now: 1_000_000 }));
  afterEach(() => vi.useRealTimers());

  it('uncapped by maxRetryAfterMs, to the millisecond, on a fake clock', () => {
    const config = breakerSchema.parse({ volumeThreshold: 100, maxRetryAfterMs: 5_000, quotaCooldownMs: 600_000, jitter: 0 });
    const b = new EndpointBreaker({ endpoint: 'e', config, probeHintMs: 500, now: () => Date.now(), random: () => 0.5, onTransition: () => undefined });
    const a = b.admit();
    if (!a.admitted) throw new Error('not admitted');
    b.record(a, 'failure', QUOTA_COOLDOWN);
    expect(b.admit()).toEqual({ admitted: false, reason: 'retry_after', retryAt: 1_000_000 + 600_000 });
    vi.advanceTimersByTime(599_999);
    expect(b.admit().admitted).toBe(false);
    vi.advanceTimersByTime(1);
    expect(b.admit().admitted).toBe(true);
    b.shutdown();
  });

  it('quotaCooldownMs is validated like every duration', () => {
    expect(() => breakerSchema.parse({ quotaCooldownMs: 0 })).toThrow();
    expect(() => breakerSchema.parse({ quotaCooldownMs: 2 ** 31 })).toThrow();
    expect(breakerSchema.parse({}).quotaCooldownMs).toBe(600_000);
  });
});
