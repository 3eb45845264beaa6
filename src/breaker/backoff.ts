/**
 * `base * multiplier^n`, capped, spread by +/- `jitter` (a fraction). Used for the open period after
 * repeated trips and for retry delays alike.
 */
export function backoffDelay(
  n: number,
  opts: { baseMs: number; multiplier: number; maxMs: number; jitter: number },
  random: () => number,
): number {
  const raw = Math.min(opts.maxMs, opts.baseMs * Math.pow(opts.multiplier, n));
  const spread = opts.jitter * (2 * random() - 1);
  return Math.max(0, Math.round(Math.min(opts.maxMs, raw * (1 + spread))));
}

/** "Full jitter" (AWS architecture blog): a uniform pick in [0, capped exponential], so retries spread out. */
export function fullJitterDelay(attempt: number, baseMs: number, maxMs: number, random: () => number): number {
  return Math.round(random() * Math.min(maxMs, baseMs * 2 ** attempt));
}
