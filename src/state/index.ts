import type { StateConfig } from '../config/schema.js';
import { RedisStateStore } from './redis-store.js';
import { MemoryStateStore, type StateStore } from './store.js';

/** The store the config names: `memory` (this process) or `redis` (shared by the fleet). */
export function createStateStore(
  config: StateConfig,
  opts: { endpoints: readonly string[]; now?: () => number; random?: () => number },
): StateStore {
  if (config.store === 'memory') return new MemoryStateStore();
  return new RedisStateStore({ config, ...opts });
}

export { FleetBreaker, type StateSource } from './fleet-breaker.js';
export { isShared, MemoryStateStore, type SharedStateStore, type StateStore, type StateStoreStatus } from './store.js';
export { RedisStateStore } from './redis-store.js';
