import { describe, expect, it } from 'vitest';
import { encodeMessage, Mirror, parseMessage, type FleetState } from '../../src/state/fleet-state.js';

const base: FleetState = { gen: 10, open: true, untilMs: 5_000, forced: false, trips: 1, openedAt: 4_000, retryUntil: 0, origin: 'r-1', act: 'trip' };

describe('fleet messages and the mirror', () => {
  it('round-trips a state through the wire format', () => {
    expect(parseMessage(encodeMessage('gpt-4o:mini', base))).toEqual({ endpoint: 'gpt-4o:mini', state: base });
  });

  it('drops what is not a state message: wrong field count, non-numbers', () => {
    for (const bad of ['', 'e|1|1', 'e|x|1|0|0|0|0|0|r|trip', 'e|1|1|Infinity|0|0|0|0|r|trip', `${encodeMessage('e', base)}|extra`]) {
      expect(parseMessage(bad), bad).toBeUndefined();
    }
  });

  it('a newer generation replaces; an older one loses; the same one only lengthens Retry-After', () => {
    const m = new Mirror();
    const seen: number[] = [];
    m.watch('e', (s) => seen.push(s.gen));
    m.apply('e', base);
    m.apply('e', { ...base, gen: 9, open: false });
    expect(m.get('e')).toEqual(base);
    m.apply('e', { ...base, retryUntil: 9_000, open: false });
    expect(m.get('e')).toEqual({ ...base, retryUntil: 9_000 });
    m.apply('e', { ...base, retryUntil: 1_000 });
    expect(m.get('e')!.retryUntil).toBe(9_000);
    m.apply('e', { ...base, gen: 11, open: false, retryUntil: 0 });
    expect(m.get('e')).toMatchObject({ gen: 11, open: false, retryUntil: 0 });
    expect(seen).toEqual([10, 10, 11]);
  });

  it("the full read is Redis's own word: it replaces the same generation outright", () => {
    const m = new Mirror();
    m.apply('e', base);
    m.provisional('e', { forced: true });
    expect(m.get('e')!.forced).toBe(true);
    m.apply('e', base, true);
    expect(m.get('e')!.forced).toBe(false);
  });
});
