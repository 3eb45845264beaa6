import type { FaultSpec } from '../../src/simulator/index.js';

/* The failures the bench puts the primary through, and the breaker timings every system is measured with. */

/** Breaker timings for the bench: short, so each scenario fits in seconds. */
export const BENCH_BREAKER = {
  errorThresholdPercentage: 50,
  volumeThreshold: 5,
  rollingWindowMs: 2_000,
  rollingBuckets: 10,
  resetTimeoutMs: 500,
  backoffMultiplier: 2,
  maxResetTimeoutMs: 2_000,
  jitter: 0,
};
export const ATTEMPT_TIMEOUT_MS = 1_000;
/** A stretch this long with no call to the primary, while requests keep arriving, means traffic has stopped. */
export const STOP_GAP_MS = 250;

export interface Scenario {
  id: string;
  title: string;
  primary: FaultSpec | 'refused';
  /** The secondary's faults; healthy when absent. */
  secondary?: FaultSpec;
  /** When the primary is healthy again (ms after the start), if it recovers within the run. */
  recoversAtMs?: number;
  /** Faults that come and go: a single "time until traffic stops" means nothing. */
  repeating?: boolean;
}

export function scenarios(durationMs: number): Scenario[] {
  const half = Math.round(durationMs / 2);
  return [
    { id: 'down', title: 'primary hard down (connection refused)', primary: 'refused' },
    { id: 'errors50', title: 'primary returns 500 half the time', primary: { statusRates: { '500': 0.5 } } },
    { id: 'hang', title: 'primary hangs (black hole)', primary: { always: { kind: 'hang' } } },
    {
      id: 'rate429',
      title: `primary returns 429 with Retry-After: 1 for ${half / 1000} s`,
      primary: { outages: [{ afterMs: 0, durationMs: half, fault: { kind: 'status', status: 429, retryAfterSeconds: 1 } }] },
      recoversAtMs: half,
    },
    {
      id: 'flapping',
      title: 'primary flapping (503 for 400 ms of every 1000 ms)',
      primary: { outages: [{ afterMs: 0, durationMs: 400, everyMs: 1_000, fault: { kind: 'status', status: 503 } }] },
      repeating: true,
    },
    {
      id: 'recovery',
      title: `primary recovers after a ${half / 1000} s outage (connections reset)`,
      primary: { outages: [{ afterMs: 0, durationMs: half, fault: { kind: 'reset' } }] },
      recoversAtMs: half,
    },
    {
      id: 'alldown',
      title: 'every endpoint down (both return 503)',
      primary: { always: { kind: 'status', status: 503 } },
      secondary: { always: { kind: 'status', status: 503 } },
    },
  ];
}
