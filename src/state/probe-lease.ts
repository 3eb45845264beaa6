import type { FleetState } from './fleet-state.js';
import type { SharedStateStore } from './store.js';

/** Extra time a probe lease outlives the probe's own timeout, for the verdict's round trip to Redis. */
const LEASE_MARGIN_MS = 250;

/**
 * One endpoint's bids for the fleet's probe lease (`SET NX PX` in Redis, see LEASE_SCRIPT). The holder may
 * start its probe during the first `probeHintMs` of the lease; the probe ends within `probeHintMs` more, so
 * it ends before the lease does and no second probe can overlap it. Bids go out at the fleet deadline and
 * then only when one may succeed again, never once per skipped request.
 */
export class ProbeLease {
  readonly ms: number;
  private held: { gen: number; until: number } | undefined;
  private asking = false;
  /** Local time before which a new bid would only find the lease taken. */
  private nextBid = 0;
  private timer: NodeJS.Timeout | undefined;
  private closed = false;

  constructor(
    private readonly store: SharedStateStore,
    private readonly endpoint: string,
    private readonly probeHintMs: number,
    private readonly now: () => number,
    /** Whether a bid for `gen` still makes sense when its answer or its retry comes (no probe in flight...). */
    private readonly wanted: (gen: number) => boolean,
  ) {
    this.ms = 2 * probeHintMs + LEASE_MARGIN_MS;
  }

  /** This replica may start the probe of generation `gen` now. */
  holds(gen: number): boolean {
    return this.held !== undefined && this.held.gen === gen && this.now() < this.held.until;
  }

  /** The state moved on (a new generation): whatever was held or planned was for the old one. */
  forget(): void {
    this.held = undefined;
    this.nextBid = 0;
    clearTimeout(this.timer);
    this.timer = undefined;
  }

  /** A verdict was published: the lease is spent (Redis deleted it with the verdict). */
  spent(): void {
    this.held = undefined;
  }

  ask(gen: number): void {
    const asked = this.now();
    if (this.closed || this.asking || asked < this.nextBid || !this.store.status()?.up) return;
    this.asking = true;
    void this.store.acquireLease(this.endpoint, gen, this.ms).then(({ won, earlyMs }) => {
      this.asking = false;
      if (this.closed || !this.wanted(gen)) return;
      if (won) this.held = { gen, until: asked + this.probeHintMs };
      // Won or lost, bid again once the lease may have lapsed (its holder may have died or had no traffic);
      // asked too early by Redis's clock, as soon as the open period is over.
      const wait = won ? this.ms : earlyMs !== undefined ? earlyMs + 1 : this.ms;
      this.nextBid = won ? asked + this.probeHintMs : this.now() + wait;
      clearTimeout(this.timer);
      this.timer = setTimeout(() => {
        this.timer = undefined;
        if (this.wanted(gen)) this.ask(gen);
      }, wait);
      this.timer.unref();
    });
  }

  /** Gives a held lease back (shutdown, or this replica's own breaker will not let the probe out). */
  release(): void {
    if (this.held) this.store.releaseLease(this.endpoint, this.held.gen);
    this.held = undefined;
  }

  close(): void {
    this.closed = true;
    clearTimeout(this.timer);
    this.release();
  }
}

/** A fleet state that is waiting for a probe of generation `gen`. */
export function awaitsProbe(s: FleetState | undefined, gen: number): boolean {
  return s !== undefined && s.gen === gen && s.open && !s.forced;
}
