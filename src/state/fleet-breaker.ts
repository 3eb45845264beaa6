import { cooldownMs, EndpointBreaker, type Admission, type BreakerOptions, type Verdict } from '../breaker/breaker.js';
import type { CircuitStateName, SkipReason } from '../router/events.js';
import type { FleetState } from './fleet-state.js';
import { awaitsProbe, ProbeLease } from './probe-lease.js';
import type { SharedStateStore } from './store.js';

/** Where a circuit's state came from: this replica's own breaker, or the fleet's shared state. */
export type StateSource = 'replica' | 'fleet';

const FLEET_CLOSES = new Set(['close', 'force_close', 'reset']);

/**
 * An endpoint's breaker in a fleet: this replica's own EndpointBreaker, overlaid with the fleet's state.
 *
 * - Admission reads the mirror only: an open, forced or Retry-After-held fleet circuit is skipped; a fleet
 *   circuit past its deadline admits one probe, on the one replica holding the lease (`SET NX PX`).
 *   Anything the fleet does not hold back goes to the local breaker, which decides as it always did.
 * - What the local breaker charges (its own attribution rules decide) is counted in the fleet window; what
 *   it does not charge is not published. Its own trips are published too.
 * - When the fleet closes (a probe succeeded, an operator closed or reset it), the local breaker follows.
 * - With the store down, a fleet deadline still in the future is honoured; past it, the local breaker
 *   alone decides until the store is back.
 */
export class FleetBreaker extends EndpointBreaker {
  private readonly o: BreakerOptions;
  private readonly store: SharedStateStore;
  private readonly lease: ProbeLease;
  /** The fleet generation each admitted attempt was admitted under: its record counts only under it. */
  private readonly seen = new WeakMap<Admission, number>();
  private charged: boolean | undefined;
  private forcing = false;
  private emitted: CircuitStateName = 'closed';
  private probe: { admission: Admission; gen: number } | undefined;
  private timer: NodeJS.Timeout | undefined;
  private readonly unsubscribe: (() => void)[] = [];

  constructor(opts: BreakerOptions, store: SharedStateStore) {
    const self: { breaker?: FleetBreaker } = {};
    super({
      ...opts,
      onTransition: () => self.breaker?.localChanged(),
      onCharge: (ok) => {
        if (self.breaker) self.breaker.charged = ok;
      },
    });
    self.breaker = this;
    this.o = opts;
    this.store = store;
    this.lease = new ProbeLease(store, opts.endpoint, opts.probeHintMs, opts.now, (gen) => !this.probe && awaitsProbe(store.view(opts.endpoint), gen));
    this.unsubscribe.push(
      store.watch(opts.endpoint, (s, prev) => this.fleetChanged(s, prev)),
      store.onStatus((up) => this.statusChanged(up)),
    );
  }

  override get state(): CircuitStateName {
    return this.effective().state;
  }

  /** Whether `state` is the fleet's or this replica's. */
  get source(): StateSource {
    return this.effective().source;
  }

  override admit(): Admission {
    const s = this.store.view(this.o.endpoint);
    if (s) {
      const now = this.o.now();
      const fleetNow = this.store.fleetNow();
      if (s.forced) return skip('open', now + this.o.config.resetTimeoutMs);
      if (s.retryUntil > fleetNow) return skip('retry_after', this.store.toLocal(s.retryUntil));
      if (s.open && fleetNow < s.untilMs) return skip('open', this.store.toLocal(s.untilMs));
      if (s.open && this.store.status()?.up) return this.admitProbe(s, now);
      // Open past its deadline with the store down: nobody can hand out the one probe; the local breaker decides.
    }
    const a = super.admit();
    if (a.admitted) this.seen.set(a, s?.gen ?? 0);
    return a;
  }

  /** Half-open fleet-wide: the lease holder sends the one probe, everyone else keeps skipping. */
  private admitProbe(s: FleetState, now: number): Admission {
    const busy = skip('half_open_busy', now + this.o.probeHintMs);
    if (this.probe) return busy;
    if (!this.lease.holds(s.gen)) {
      this.lease.ask(s.gen);
      return busy;
    }
    const a = super.admit();
    if (!a.admitted) {
      // This replica's own breaker holds it back: let another replica probe.
      this.lease.release();
      return a;
    }
    this.probe = { admission: a, gen: s.gen };
    return a;
  }

  override record(admission: Admission & { admitted: true }, verdict: Verdict, retryAfterMs?: number): void {
    const probe = this.probe?.admission === admission ? this.probe : undefined;
    const charged = this.charging(() => super.record(admission, verdict, retryAfterMs));
    const cfg = this.o.config;
    if (probe) {
      this.probe = undefined;
      // No verdict (the caller's fault, unclear, cancelled): this replica keeps the lease and probes again.
      if (charged !== undefined) this.probeVerdict(probe.gen, charged);
    } else if (charged !== undefined) {
      const gen = this.seen.get(admission);
      if (gen !== undefined) this.store.record(this.o.endpoint, gen, charged, cfg);
    }
    // The breaker is given a Retry-After only when the endpoint is to blame: the fleet honours the same ones.
    if (retryAfterMs !== undefined) {
      this.store.transition(this.o.endpoint, 'retry_after', 0, cfg, cooldownMs(retryAfterMs, cfg));
    }
  }

  /** A stream's first chunk reached its caller: the fleet's probe is judged there too, a success. */
  override commit(admission: Admission & { admitted: true }): Admission & { admitted: true } {
    const probe = this.probe?.admission === admission ? this.probe : undefined;
    let next = admission;
    // A local probe's success charged here is the same verdict as the fleet's: not counted twice.
    this.charging(() => (next = super.commit(admission)));
    if (probe) {
      this.probe = undefined;
      this.probeVerdict(probe.gen, true);
    }
    return next;
  }

  /**
   * A failure charged after its attempt ended (evidence came later): counted in the fleet window under the
   * generation this replica sees now (the breaker keeps only its own generation for it).
   */
  override chargeLate(generation: number): void {
    const charged = this.charging(() => super.chargeLate(generation));
    if (charged === undefined) return;
    this.store.record(this.o.endpoint, this.store.view(this.o.endpoint)?.gen ?? 0, charged, this.o.config);
  }

  /** Runs a call of the breaker and returns what it charged (true: a success, false: a failure), if anything. */
  private charging(call: () => void): boolean | undefined {
    this.charged = undefined;
    call();
    const charged = this.charged;
    this.charged = undefined;
    return charged;
  }

  private probeVerdict(gen: number, ok: boolean): void {
    this.store.transition(this.o.endpoint, ok ? 'probe_ok' : 'probe_failed', gen, this.o.config);
    this.lease.spent();
  }

  override forceOpen(): void {
    this.forcing = true;
    try {
      super.forceOpen();
    } finally {
      this.forcing = false;
    }
    const s = this.store.view(this.o.endpoint);
    this.store.provisional(this.o.endpoint, { forced: true, open: true });
    this.store.transition(this.o.endpoint, 'force_open', s?.gen ?? 0, this.o.config);
    this.localChanged();
  }

  override forceClose(): void {
    super.forceClose();
    this.fleetWrite('force_close');
  }

  override reset(): void {
    super.reset();
    this.fleetWrite('reset');
  }

  private fleetWrite(action: 'force_close' | 'reset'): void {
    const s = this.store.view(this.o.endpoint);
    this.store.provisional(this.o.endpoint, { forced: false, open: false, untilMs: 0, trips: 0, retryUntil: 0 });
    this.store.transition(this.o.endpoint, action, s?.gen ?? 0, this.o.config);
    this.localChanged();
  }

  override snapshot() {
    const local = super.snapshot();
    const s = this.store.view(this.o.endpoint);
    const e = this.effective();
    if (e.source === 'replica' || !s || (!s.open && !s.forced && s.retryUntil <= this.store.fleetNow())) {
      return { ...local, state: e.state, source: e.source };
    }
    const { forced: _forced, openedAt: _openedAt, nextProbeAt: _nextProbeAt, retryAfterUntil: _retryAfterUntil, ...rest } = local;
    const retryAfterUntil = Math.max(local.retryAfterUntil ?? 0, this.store.toLocal(s.retryUntil));
    return {
      ...rest,
      state: e.state,
      source: 'fleet' as StateSource,
      ...(s.forced ? { forced: 'open' as const } : {}),
      ...(s.open ? { openedAt: this.store.toLocal(s.openedAt) } : {}),
      ...(e.state === 'open' && s.open && !s.forced ? { nextProbeAt: this.store.toLocal(s.untilMs) } : {}),
      ...(retryAfterUntil > this.o.now() ? { retryAfterUntil } : {}),
      consecutiveTrips: s.trips,
    };
  }

  override shutdown(): void {
    for (const u of this.unsubscribe) u();
    this.unsubscribe.length = 0;
    clearTimeout(this.timer);
    this.lease.close();
    super.shutdown();
  }

  /** The fleet's opinion when it holds traffic away, else this replica's breaker. */
  private effective(): { state: CircuitStateName; source: StateSource } {
    const s = this.store.view(this.o.endpoint);
    const up = this.store.status()?.up === true;
    if (s && (s.forced || s.open)) {
      if (s.forced || this.store.fleetNow() < s.untilMs) return { state: 'open', source: 'fleet' };
      if (up) return { state: 'half_open', source: 'fleet' };
    }
    const local = super.state;
    return { state: local, source: local === 'closed' && up ? 'fleet' : 'replica' };
  }

  /** Emits `circuit` when the effective state changes, whichever side moved. */
  private refresh(): void {
    const to = this.effective().state;
    if (to === this.emitted) return;
    const from = this.emitted;
    this.emitted = to;
    this.o.onTransition(from, to);
  }

  private localChanged(): void {
    // This replica's breaker tripped on its own window: the whole fleet opens (unless it already did).
    if (!this.forcing && super.state === 'open' && !super.snapshot().forced) this.publishTrip();
    this.refresh();
  }

  private publishTrip(): void {
    const s = this.store.view(this.o.endpoint);
    if (s?.open || s?.forced) return;
    this.store.transition(this.o.endpoint, 'trip', s?.gen ?? 0, this.o.config);
  }

  private fleetChanged(s: FleetState, prev: FleetState | undefined): void {
    if (!prev || s.gen !== prev.gen) {
      this.lease.forget();
      // Closed by the fleet (a probe elsewhere succeeded, an operator): this replica's breaker follows.
      if (FLEET_CLOSES.has(s.act) && s.origin !== this.store.replicaId) {
        if (s.act === 'reset') super.reset();
        else if (super.state !== 'closed' || super.snapshot().forced) super.forceClose();
      }
    }
    this.schedule(s);
    this.refresh();
  }

  /** At the fleet deadline: the state turns half-open here too, and this replica bids for the probe lease. */
  private schedule(s: FleetState): void {
    clearTimeout(this.timer);
    this.timer = undefined;
    if (!s.open || s.forced) return;
    const delay = Math.max(0, this.store.toLocal(s.untilMs) - this.o.now());
    this.timer = setTimeout(() => {
      this.timer = undefined;
      this.refresh();
      if (awaitsProbe(this.store.view(this.o.endpoint), s.gen)) this.lease.ask(s.gen);
    }, delay);
    this.timer.unref();
  }

  private statusChanged(up: boolean): void {
    // Back after an outage: a trip this replica made alone while Redis was away goes to the fleet.
    if (up && super.state === 'open' && !super.snapshot().forced) this.publishTrip();
    this.refresh();
  }
}

function skip(reason: SkipReason, retryAt: number): Admission {
  return { admitted: false, reason, retryAt };
}
