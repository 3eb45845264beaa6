import type { FaultSpec } from '../../../src/simulator/index.js';
import type { Fault } from '../../../src/simulator/faults.js';
import type { Rng } from '../../../src/simulator/random.js';

/* The soak's chaos: fault specs drawn at random, so that every fault kind the simulator has comes up. */

export const pick = <T>(rng: Rng, items: readonly T[]): T => items[Math.floor(rng() * items.length)]!;
export const between = (rng: Rng, lo: number, hi: number) => Math.floor(lo + rng() * (hi - lo + 1));

function randomFault(rng: Rng): Fault {
  switch (between(rng, 0, 8)) {
    case 0:
      return { kind: 'status', status: pick(rng, [400, 401, 403, 404, 408, 422, 429, 500, 502, 503]), ...(rng() < 0.5 ? { retryAfterSeconds: between(rng, 0, 1) } : {}) };
    case 1:
      return { kind: 'hang' };
    case 2:
      return { kind: 'reset' };
    case 3:
      return { kind: 'malformed' };
    case 4:
      return { kind: 'empty' };
    case 5:
      return { kind: 'slow_first_token', delayMs: between(rng, 0, 800) };
    case 6:
      return { kind: 'cut', afterChunks: between(rng, 0, 3) };
    case 7:
      return { kind: 'not_json' };
    default:
      return { kind: 'status', status: 500 };
  }
}

/** A random fault spec: healthy, a fault always, a repeating outage, or a mix of rates; plus random delays. */
export function randomSpec(rng: Rng): FaultSpec {
  const timing: FaultSpec = {
    ...(rng() < 0.5 ? { latencyMs: between(rng, 0, 20) } : {}),
    ...(rng() < 0.3 ? { jitterMs: between(rng, 0, 15) } : {}),
    chunks: between(rng, 1, 6),
    ...(rng() < 0.5 ? { chunkDelayMs: between(rng, 0, 25) } : {}),
    ...(rng() < 0.3 ? { firstTokenDelayMs: between(rng, 0, 60) } : {}),
    ...(rng() < 0.5 ? { retryAfterSeconds: between(rng, 0, 1) } : {}),
  };
  const r = rng();
  if (r < 0.25) return timing;
  if (r < 0.37) return { ...timing, always: randomFault(rng) };
  if (r < 0.5) {
    const durationMs = between(rng, 100, 500);
    return { ...timing, outages: [{ afterMs: between(rng, 0, 300), durationMs, everyMs: durationMs + between(rng, 100, 700), fault: randomFault(rng) }] };
  }
  // A mix of rates adding up to at most 5-50 %.
  const spec: FaultSpec = { ...timing };
  const kinds = ['statusRates', 'hang', 'reset', 'malformed', 'empty', 'cut', 'notJson'] as const;
  let budget = 0.05 + rng() * 0.45;
  for (const kind of kinds) {
    if (rng() < 0.5) continue;
    const p = Math.round(budget * rng() * 1000) / 1000;
    budget -= p;
    if (kind === 'statusRates') spec.statusRates = { [String(pick(rng, [400, 401, 408, 422, 429, 500, 502, 503]))]: p };
    else spec[kind] = p;
    if (kind === 'cut') spec.cutAfterChunks = between(rng, 0, 3);
  }
  return spec;
}
