import { z } from 'zod';
import { millis } from './numbers.js';

/** Where circuit state lives (docs/shared-state.md). */
export const stateSchema = z.strictObject({
  /** `memory`: this process only. `redis`: shared by every replica with the same url and keyPrefix. */
  store: z.enum(['memory', 'redis'], { error: "expected 'memory' or 'redis'" }).default('memory'),
  /** Redis or Valkey (a single primary; not Cluster). May carry a password: it is never logged nor stored. */
  url: z
    .string({ error: 'expected a redis:// or rediss:// URL' })
    .regex(/^rediss?:\/\/[^\s]+$/, { error: 'expected a redis:// or rediss:// URL' })
    .default('redis://127.0.0.1:6379'),
  /** Every key and the pub/sub channel start with this, so several fleets can share one Redis. */
  keyPrefix: z
    .string({ error: 'expected a key prefix' })
    .regex(/^[A-Za-z0-9][A-Za-z0-9._:-]{0,63}$/, { error: 'expected 1-64 letters, digits, ".", "_", ":" or "-"' })
    .default('switchyard'),
  /** A command not answered within this long fails; the replica falls back to its own breakers. */
  commandTimeoutMs: millis('a positive integer (milliseconds)').max(10_000, { error: 'expected at most 10000' }).default(50),
  /** The periodic full read that backs up pub/sub (a missed message, a reconnect). */
  syncIntervalMs: millis('a positive integer (milliseconds)').default(1_000),
  /** How long a closed circuit's key outlives its last write (an open one: its deadline plus this). */
  keepMs: millis('a positive integer (milliseconds)').default(86_400_000),
  /**
   * How long the fleet remembers which provider holds a Responses API conversation (`previous_response_id`),
   * so a follow-up reaching another replica goes to the same provider. Written only for routes whose
   * Responses endpoints span several providers.
   */
  conversationTtlMs: millis('a positive integer (milliseconds)').default(86_400_000),
});
