import { describe, expect, it } from 'vitest';
import { Bulkhead } from '../../src/breaker/bulkhead.js';

describe('Bulkhead', () => {
  it('is full at its limit and frees a slot as an attempt leaves', () => {
    const b = new Bulkhead(2);
    b.enter();
    expect(b.full).toBe(false);
    b.enter();
    expect([b.full, b.inFlight]).toEqual([true, 2]);
    b.leave();
    expect([b.full, b.inFlight]).toEqual([false, 1]);
  });

  it('with no limit is never full; a leave without its enter throws rather than let the count drift', () => {
    const b = new Bulkhead(undefined);
    for (let i = 0; i < 1000; i++) b.enter();
    expect(b.full).toBe(false);
    const c = new Bulkhead(1);
    c.enter();
    c.leave();
    expect(() => c.leave()).toThrow(RangeError);
    expect(c.inFlight).toBe(0);
  });

  it.each([0, -1, 1.5, Number.NaN])('refuses a limit of %s with a RangeError quoting it', (limit) => {
    expect(() => new Bulkhead(limit)).toThrow(new RangeError(`Bulkhead limit must be a positive integer, got ${limit}`));
  });
});
