import { z } from 'zod';
import { MAX_TIMER_MS } from './defaults.js';

/* The number fields of the config schema. Messages never quote the received value. */

export const positiveInt = (what = 'a positive integer') =>
  z.number({ error: `expected ${what}` }).int({ error: `expected ${what}` }).positive({ error: `expected ${what}` });
export const nonNegativeInt = (what = 'a non-negative integer') =>
  z.number({ error: `expected ${what}` }).int({ error: `expected ${what}` }).min(0, { error: `expected ${what}` });
/** Every duration here ends up in a timer: none longer than Node keeps (see MAX_TIMER_MS). */
const tooLong = { error: `expected at most ${MAX_TIMER_MS} (milliseconds; about 24.8 days, Node's longest timer)` };
export const millis = (what: string) => positiveInt(what).max(MAX_TIMER_MS, tooLong);
export const nonNegativeMillis = (what: string) => nonNegativeInt(what).max(MAX_TIMER_MS, tooLong);
