import { describe, expect, it } from 'vitest';
import { runSoak } from './harness/index.js';

/*
 * The short chaos soak (the long one runs in `npm run bench`): mixed plain and streamed traffic through the
 * gateway while three simulators take random faults of every kind and a fourth endpoint refuses
 * connections. Correctness invariants only, no timing assertion: see harness/index.ts for the list.
 */
describe('chaos soak (short)', () => {
  it('every request ends cleanly, nothing leaks, and the attempt metric matches the simulators', async () => {
    const report = await runSoak({ durationMs: 8_000, concurrency: 8, maxRequests: 20_000, seed: 20240611 });

    expect(report.violations, `${report.violationCount} violations`).toEqual([]);
    expect(report.unhandledRejections).toBe(0);
    expect(report.uncaughtExceptions).toBe(0);
    expect(report.attempts.agree).toBe(true);
    // The run did what it is for: traffic flowed, faults were injected, circuits opened.
    expect(report.requests).toBeGreaterThan(100);
    expect(report.faultChanges).toBeGreaterThan(3);
    expect(report.circuitTransitions.open ?? 0).toBeGreaterThan(0);
    expect(report.attempts.refused).toBeGreaterThan(0);
    expect(report.outcomes['plain 200'] ?? 0).toBeGreaterThan(0);
    expect(report.outcomes['stream 200 [DONE]'] ?? 0).toBeGreaterThan(0);
    // Back to where it started once traffic stopped.
    expect(report.resources.socketsAfter).toBeLessThanOrEqual(report.resources.socketsBefore);
    expect(report.resources.timersAfter).toBeLessThanOrEqual(report.resources.timersBefore + 2);
  }, 60_000);
});
