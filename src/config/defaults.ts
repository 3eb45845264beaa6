/*
 * Constants both the schema and its cross-checks need (kept apart so that neither imports the other).
 */

/**
 * Node keeps a timer of at most 2^31-1 ms (about 24.8 days); a longer one fires after 1 ms, so every attempt
 * would time out at once. Every duration in the config ends up in a timer.
 */
export const MAX_TIMER_MS = 2_147_483_647;

/** Defaults the cross-checks need before the schema applied them. */
export const DEFAULT_TIMEOUT_MS = 30_000;
export const DEFAULT_DEADLINE_MS = 120_000;

/** Ids become Prometheus label values and URL path segments: keep them plain. */
export const ID_PATTERN = /^[A-Za-z0-9][A-Za-z0-9._:-]{0,63}$/;
