/* What a soak run is asked to do, and what it reports. */

export interface SoakOptions {
  durationMs: number;
  /** Callers sending requests back to back. */
  concurrency: number;
  /** Upper bound on requests, whatever the duration. */
  maxRequests: number;
  seed: number;
  /** Route deadline given to the gateway (request.deadlineMs). */
  deadlineMs?: number;
  log?: (line: string) => void;
}

export interface SoakReport {
  durationMs: number;
  requests: number;
  /** Requests by what came back, e.g. `plain 200`, `stream 200 [DONE]`, `stream 200 error event`, `plain 502`. */
  outcomes: Record<string, number>;
  violations: string[];
  violationCount: number;
  deadlineMs: number;
  /** Requests that took longer than their route's deadline plus one second (not abandoned ones). */
  late: number;
  maxMs: number;
  p99Ms: number;
  unhandledRejections: number;
  uncaughtExceptions: number;
  faultChanges: number;
  /** What the simulators did, summed: ok, hang, reset, status_500... */
  simulatorResults: Record<string, number>;
  circuitTransitions: Record<string, number>;
  /** Endpoints skipped without an attempt, by reason: open, half_open_busy, retry_after, saturated. */
  skips: Record<string, number>;
  attempts: {
    byEndpoint: Record<string, { metric: number; simulator: number; cancelled: number }>;
    refused: number;
    total: number;
    agree: boolean;
  };
  resources: {
    socketsBefore: number;
    socketsPeak: number;
    socketsAfter: number;
    timersBefore: number;
    timersAfter: number;
    /** Heap used after GC, MB: after warm-up, and after the run. */
    heapBeforeMb: number;
    heapAfterMb: number;
    rssBeforeMb: number;
    rssAfterMb: number;
    /** Heap used (no GC) sampled every second during the run, MB. */
    heapSamplesMb: number[];
  };
}
