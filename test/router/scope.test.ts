import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { Liveness } from '../../src/router/liveness.js';
import { RequestScope } from '../../src/router/scope.js';

describe('AttemptScope timeout', () => {
  beforeEach(() => vi.useFakeTimers({ now: 1_000 }));
  afterEach(() => vi.useRealTimers());

  const attempt = () => new RequestScope(60_000, undefined, () => Date.now()).attempt(new Liveness(5, 1_000), Date.now());

  it('re-arming with the same limit moves the deadline on (a stream chunk resets the idle limit)', () => {
    const a = attempt();
    a.arm(100);
    vi.advanceTimersByTime(60);
    a.arm(100);
    vi.advanceTimersByTime(60);
    expect(a.abortCause).toBeUndefined();
    a.arm(100);
    vi.advanceTimersByTime(99);
    expect(a.abortCause).toBeUndefined();
    vi.advanceTimersByTime(1);
    expect(a.abortCause).toBe('timeout');
    expect(a.aborted).toBe(true);
  });

  it('re-arming with another limit replaces the timer (first-token limit, then the idle limit)', () => {
    const a = attempt();
    a.arm(1_000);
    vi.advanceTimersByTime(10);
    a.arm(50);
    vi.advanceTimersByTime(49);
    expect(a.abortCause).toBeUndefined();
    vi.advanceTimersByTime(1);
    expect(a.abortCause).toBe('timeout');
    expect(vi.getTimerCount()).toBe(1); // only the request's deadline is left
  });

  it('leaves no timer behind once disposed, and re-arming after an abort cannot restart a cleared one', () => {
    const a = attempt();
    a.arm(100);
    a.dispose();
    vi.advanceTimersByTime(1_000);
    expect(a.abortCause).toBeUndefined();

    const b = attempt();
    b.arm(100);
    b.abort('cancelled');
    expect(vi.getTimerCount()).toBe(2); // the two requests' deadlines only
    b.arm(100);
    // Nor start a new one: it would only hold the process open (a stream re-arms after each chunk).
    expect(vi.getTimerCount()).toBe(2);
    vi.advanceTimersByTime(1_000);
    // Still the first cause: a timer firing after an abort changes nothing.
    expect(b.abortCause).toBe('cancelled');
  });
});
