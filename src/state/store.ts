import type { BreakerConfig } from '../config/schema.js';
import type { FleetState, MirrorListener } from './fleet-state.js';

/** Health of the shared store, as `switchyard_state_store_up` and `_lag_seconds` export it. */
export interface StateStoreStatus {
  /** The store answered the last command. */
  readonly up: boolean;
  /** Age of this replica's view of the fleet: seconds since the last full read succeeded. */
  readonly lagSeconds: number;
}

/** `earlyMs`: asked before the open period ended by Redis's clock (this replica's clock estimate is off). */
export interface LeaseAnswer {
  readonly won: boolean;
  readonly earlyMs?: number;
}

/** Writes a replica makes; each is answered asynchronously and never awaited on a request's path. */
export type FleetAction = 'trip' | 'probe_ok' | 'probe_failed' | 'force_open' | 'force_close' | 'reset' | 'retry_after';

/**
 * Where circuit state lives. `memory` keeps it in this process (each breaker alone, today's behaviour);
 * `redis` shares it across every replica with the same URL and key prefix.
 */
export interface StateStore {
  readonly kind: 'memory' | 'redis';
  /** Undefined for the memory store (nothing to be up or down). */
  status(): StateStoreStatus | undefined;
  /** Called once per change of `up` (not per failed command): the router reports it, the gateway logs it. */
  onStatus(listener: (up: boolean, reason?: string) => void): () => void;
  close(): Promise<void>;
}

/** A store shared by replicas: the narrow surface FleetBreaker uses. */
export interface SharedStateStore extends StateStore {
  readonly kind: 'redis';
  /** Who this replica is in `origin` fields and lease values. */
  readonly replicaId: string;
  /** The mirrored state of an endpoint (undefined: the fleet has said nothing yet). Never waits. */
  view(endpoint: string): FleetState | undefined;
  watch(endpoint: string, listener: MirrorListener): () => void;
  /** Redis's clock now, estimated from the local one. */
  fleetNow(): number;
  /** A Redis-clock time on this replica's clock. */
  toLocal(redisMs: number): number;
  /** Shows a write of this replica at once, before Redis confirms it. */
  provisional(endpoint: string, patch: Partial<FleetState>): void;
  /** Counts one attempt this replica charged in the fleet window (it may trip the circuit fleet-wide). */
  record(endpoint: string, seenGen: number, ok: boolean, breaker: BreakerConfig): void;
  transition(endpoint: string, action: FleetAction, seenGen: number, breaker: BreakerConfig, retryAfterMs?: number): void;
  /** `SET NX PX`, if `gen` is still the state's and its open period is over: true when this replica now holds the lease. */
  acquireLease(endpoint: string, gen: number, ms: number): Promise<LeaseAnswer>;
  releaseLease(endpoint: string, gen: number): void;
  /** The fleet remembers that `provider` holds the Responses conversation `responseId` (conversationTtlMs). Never awaited. */
  rememberConversation(responseId: string, provider: string): void;
  /** Which provider the fleet says holds `responseId`; undefined if none or the store did not answer in time. */
  conversationHolder(responseId: string): Promise<string | undefined>;
}

export function isShared(store: StateStore): store is SharedStateStore {
  return store.kind === 'redis';
}

/** Today's behaviour: every breaker keeps its own state; nothing to export, nothing to close. */
export class MemoryStateStore implements StateStore {
  readonly kind = 'memory' as const;
  status(): undefined {
    return undefined;
  }
  onStatus(): () => void {
    return () => undefined;
  }
  async close(): Promise<void> {}
}
