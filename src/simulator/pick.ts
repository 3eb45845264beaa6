import { RATE_KINDS, type Fault, type FaultSpec, type Outage } from './faults.js';
import type { Rng } from './random.js';

/** The fault of the first outage window open at `elapsedMs` after the spec was installed. */
export function activeOutage(outages: readonly Outage[] | undefined, elapsedMs: number): Fault | undefined {
  if (!outages) return undefined;
  for (const o of outages) {
    if (elapsedMs < o.afterMs) continue;
    const into = o.everyMs ? (elapsedMs - o.afterMs) % o.everyMs : elapsedMs - o.afterMs;
    if (into < o.durationMs) return o.fault;
  }
  return undefined;
}

/**
 * The fault for one request, or undefined for a healthy answer. Exactly one number is drawn from `rng` per
 * call, whatever the spec, so the fault sequence depends only on the seed and the order requests arrive.
 */
export function pickFault(spec: FaultSpec, elapsedMs: number, rng: Rng): Fault | undefined {
  const draw = rng();
  const scheduled = activeOutage(spec.outages, elapsedMs) ?? spec.always;
  if (scheduled) return scheduled;
  let edge = 0;
  if (spec.statusRates) {
    // Sorted so a spec built in any key order injects the same sequence.
    for (const key of Object.keys(spec.statusRates).sort()) {
      edge += spec.statusRates[key]!;
      if (draw < edge) return { kind: 'status', status: Number(key) };
    }
  }
  for (const [field, kind] of RATE_KINDS) {
    edge += spec[field] ?? 0;
    if (draw < edge) return kind === 'cut' ? { kind, afterChunks: spec.cutAfterChunks ?? 1 } : { kind };
  }
  return undefined;
}

/** The stats label of a request's result. */
export function resultLabel(fault: Fault | undefined): string {
  if (!fault) return 'ok';
  return fault.kind === 'status' ? `status_${fault.status}` : fault.kind;
}
