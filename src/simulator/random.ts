/** A source of uniform numbers in [0, 1). */
export type Rng = () => number;

/**
 * mulberry32: tiny, fast and good enough for fault injection. Math.random cannot be seeded, and a seed is
 * what makes a failing benchmark or test run replayable.
 */
export function mulberry32(seed: number): Rng {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** A 32-bit seed drawn from `rng`, to give one request a generator of its own. */
export function nextSeed(rng: Rng): number {
  return Math.floor(rng() * 4294967296) >>> 0;
}
