/*
 * Histogram buckets sized for LLM calls. The web default (5 ms … 10 s) puts every slow completion in +Inf;
 * these are the OpenTelemetry GenAI semantic conventions' boundaries for `gen_ai.client.operation.duration`:
 * 0.01 s doubling up to 81.92 s. Written out rather than computed so they print without float noise
 * (0.01 * 2 ** 4 is 0.16000000000000003), since `le` label values are compared as strings in dashboards.
 */
export const LLM_DURATION_BUCKETS: readonly number[] = Object.freeze([
  0.01, 0.02, 0.04, 0.08, 0.16, 0.32, 0.64, 1.28, 2.56, 5.12, 10.24, 20.48, 40.96, 81.92,
]);
