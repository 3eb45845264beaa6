import CircuitBreaker from 'opossum';
import type { BreakerConfig } from '../config/schema.js';
import type { CircuitStateName, SkipReason } from '../router/events.js';
import { backoffDelay } from './backoff.js';

/** The breaker's answer to "may I call this endpoint now?". */
export type Admission =
  | {
      readonly admitted: true;
      readonly probe: boolean;
      readonly generation: number;
      /** A stream's probe already judged a success at its first chunk (see `commit`). */
      readonly committed?: boolean;
    }
  | { readonly admitted: false; readonly reason: SkipReason; readonly retryAt: number };

export interface BreakerOptions {
  readonly endpoint: string;
  readonly config: BreakerConfig;
  /** How long a half-open probe may take, as a hint for callers told to come back later. */
  readonly probeHintMs: number;
  readonly now: () => number;
  readonly random: () => number;
  readonly onTransition: (from: CircuitStateName, to: CircuitStateName) => void;
  /** Told of every attempt the breaker charges (true: success, false: failure): what a shared store may count. */
  readonly onCharge?: (ok: boolean) => void;
}

type Settled = { ok: true } | { ok: false; error: Error };

/**
 * What an attempt tells the circuit: it answered, it failed by the endpoint's fault, or nothing (the
 * request's or the caller's fault, or unclear until evidence comes: see router/attribution.ts).
 */
export type Verdict = 'success' | 'failure' | 'none';

const FAILED: Settled = { ok: false, error: new Error('failure') };
const SUCCEEDED: Settled = { ok: true };

/**
 * One endpoint's circuit. opossum keeps the state machine and the rolling window; attempts run outside
 * `fire()` and their classified outcome is recorded afterwards, because opossum can only count a call as
 * a success or a failure, and `client_error` / `cancelled` must be neither (an `errorFilter` would count
 * them as successes and close a half-open circuit: STACK.md). Half-open probe admission is therefore ours.
 */
export class EndpointBreaker {
  private cb!: CircuitBreaker<[Settled], void>;
  private forced: 'open' | undefined;
  private probeInFlight = false;
  /** Bumped on every trip and reset, so results of attempts admitted before it are not recorded after it. */
  private generation = 0;
  private trips = 0;
  private openedAt: number | undefined;
  private nextProbeAt: number | undefined;
  private retryAfterUntil: number | undefined;
  private reported: CircuitStateName = 'closed';
  /** `shutdown()` was called: nothing is rebuilt after it. */
  private shut = false;
  /** The circuit closed: its window is to be replaced by a fresh one before it is used again. */
  private staleWindow = false;

  constructor(private readonly opts: BreakerOptions) {
    this.cb = this.build();
  }

  private build(): CircuitBreaker<[Settled], void> {
    const c = this.opts.config;
    const cb = new CircuitBreaker<[Settled], void>(async (s: Settled) => {
      if (!s.ok) throw s.error;
    }, {
      timeout: false,
      errorThresholdPercentage: c.errorThresholdPercentage,
      volumeThreshold: c.volumeThreshold,
      rollingCountTimeout: c.rollingWindowMs,
      rollingCountBuckets: c.rollingBuckets,
      resetTimeout: this.openPeriod(0),
      enableSnapshots: false,
      // Percentiles sort every latency in the window on each read of `stats`: a failure, every circuits()
      // (each /metrics scrape, /v1/models). Nothing here reads them.
      rollingPercentilesEnabled: false,
    } as CircuitBreaker.Options);
    cb.on('open', () => this.onOpen());
    cb.on('halfOpen', () => this.onHalfOpen());
    cb.on('close', () => this.onClose());
    return cb;
  }

  private openPeriod(trips: number): number {
    const c = this.opts.config;
    return backoffDelay(trips, { baseMs: c.resetTimeoutMs, multiplier: c.backoffMultiplier, maxMs: c.maxResetTimeoutMs, jitter: c.jitter }, this.opts.random);
  }

  private onOpen(): void {
    this.generation++;
    this.probeInFlight = false;
    const now = this.opts.now();
    this.openedAt ??= now;
    // opossum armed its half-open timer with options.resetTimeout just before emitting 'open'.
    this.nextProbeAt = now + this.resetTimeout;
    if (this.forced) return;
    this.trips++;
    this.report('open');
  }

  private onHalfOpen(): void {
    if (this.forced === 'open') {
      this.cb.open();
      return;
    }
    this.nextProbeAt = undefined;
    // The next trip (a failed probe) opens for longer: opossum reads this when it opens again.
    this.resetTimeout = this.openPeriod(this.trips);
    this.report('half_open');
  }

  /**
   * Closed again (a probe succeeded, or an operator closed it): a fresh window and no Retry-After block.
   * opossum keeps its window across a close, so the failures that tripped it would re-trip it at the first
   * new one, and the backoff would never grow; the window is rebuilt once opossum is done closing.
   */
  private onClose(): void {
    this.trips = 0;
    this.openedAt = this.nextProbeAt = undefined;
    this.retryAfterUntil = undefined;
    this.resetTimeout = this.openPeriod(0);
    this.report('closed');
    // Not here: this runs inside opossum's own close. At the next use of the circuit (see `fresh`).
    this.staleWindow = true;
  }

  /** The circuit, with a fresh window if it closed since it was last used. */
  private get fresh(): CircuitBreaker<[Settled], void> {
    if (this.staleWindow) {
      this.staleWindow = false;
      if (this.cb.closed && !this.shut) {
        this.cb.shutdown();
        this.cb = this.build();
      }
    }
    return this.cb;
  }

  private report(to: CircuitStateName): void {
    const from = this.reported;
    if (from === to) return;
    this.reported = to;
    this.opts.onTransition(from, to);
  }

  /** opossum reads `options.resetTimeout` each time it opens; @types/opossum does not expose `options`. */
  private get resetTimeout(): number {
    return (this.cb as unknown as { options: { resetTimeout: number } }).options.resetTimeout;
  }
  private set resetTimeout(ms: number) {
    (this.cb as unknown as { options: { resetTimeout: number } }).options.resetTimeout = ms;
  }

  get state(): CircuitStateName {
    return this.reported;
  }

  admit(): Admission {
    const now = this.opts.now();
    // Held open by an operator: no probe will come, so no time to promise (a client told one would wait for nothing).
    if (this.forced === 'open') return { admitted: false, reason: 'open', retryAt: Number.POSITIVE_INFINITY };
    if (this.retryAfterUntil !== undefined && now < this.retryAfterUntil) {
      return { admitted: false, reason: 'retry_after', retryAt: this.retryAfterUntil };
    }
    if (this.fresh.opened) return { admitted: false, reason: 'open', retryAt: this.nextProbeAt ?? now };
    if (this.cb.halfOpen) {
      if (this.probeInFlight) return { admitted: false, reason: 'half_open_busy', retryAt: now + this.opts.probeHintMs };
      this.probeInFlight = true;
      return { admitted: true, probe: true, generation: this.generation };
    }
    return { admitted: true, probe: false, generation: this.generation };
  }

  /**
   * Records how an admitted attempt ended. A probe's slot is freed whatever the verdict (`none` leaves the
   * circuit half-open for the next request to probe). `retryAfterMs`: the provider asked for no traffic for
   * that long (capped by maxRetryAfterMs).
   */
  record(admission: Admission & { admitted: true }, verdict: Verdict, retryAfterMs?: number): void {
    // A probe of an earlier generation (admitted before a trip, close or reset) must not free a later one's slot.
    if (admission.probe && admission.generation === this.generation) this.probeInFlight = false;
    if (retryAfterMs !== undefined) {
      this.retryAfterUntil = Math.max(this.retryAfterUntil ?? 0, this.opts.now() + cooldownMs(retryAfterMs, this.opts.config));
    }
    if (admission.generation !== this.generation || verdict === 'none') return;
    if (admission.committed && verdict === 'success') return;
    this.settle(verdict === 'success' ? SUCCEEDED : FAILED);
  }

  /**
   * A streamed attempt's first content chunk reached its caller. A probe is judged there, a success: a long
   * stream must not hold the half-open state (every other request skipping a recovered endpoint) until it
   * ends. A later failure of the stream is still recorded, as a failure, when it ends. Other attempts are
   * judged when they end: one success at the chunk and one failure at the end would count a stream that
   * always breaks as half healthy.
   */
  commit(admission: Admission & { admitted: true }): Admission & { admitted: true } {
    if (!admission.probe) return admission;
    if (admission.generation !== this.generation) return { ...admission, probe: false };
    this.probeInFlight = false;
    this.settle(SUCCEEDED);
    return { admitted: true, probe: false, generation: this.generation, committed: true };
  }

  /**
   * A failure charged after its attempt ended, once evidence came (see router/attribution.ts), or a watched
   * attempt's hang. Dropped when the circuit has moved on (tripped, reset) since the attempt was admitted.
   */
  chargeLate(generation: number): void {
    if (generation === this.generation) this.settle(FAILED);
  }

  /** The circuit's generation now, for a charge that may come later. */
  get currentGeneration(): number {
    return this.generation;
  }

  private settle(s: Settled): void {
    this.opts.onCharge?.(s.ok);
    // fire() rejects for failures by design; the rejection is the record, not an error to surface.
    this.fresh.fire(s).catch(() => undefined);
  }

  forceOpen(): void {
    this.forced = 'open';
    this.generation++;
    this.cb.open();
    this.report('open');
  }

  /** Closes the circuit: as a successful probe does, with a fresh window and no Retry-After block. */
  forceClose(): void {
    this.forced = undefined;
    this.generation++;
    this.probeInFlight = false;
    this.retryAfterUntil = undefined;
    // opossum emits no close for a circuit that is closed already: the window is renewed either way.
    this.staleWindow = true;
    this.cb.close();
    this.report('closed');
  }

  /** Back to a fresh closed circuit: empty window, no backoff, no Retry-After. */
  reset(): void {
    this.forced = undefined;
    this.retryAfterUntil = undefined;
    this.probeInFlight = false;
    this.generation++;
    this.trips = 0;
    this.openedAt = this.nextProbeAt = undefined;
    this.cb.shutdown();
    this.cb = this.build();
    this.report('closed');
  }

  snapshot() {
    const s = this.fresh.stats;
    const now = this.opts.now();
    return {
      state: this.reported,
      ...(this.forced ? { forced: this.forced } : {}),
      window: { attempts: s.fires, successes: s.successes, failures: s.failures },
      failureRate: s.fires > 0 ? s.failures / s.fires : 0,
      ...(this.openedAt !== undefined && this.reported !== 'closed' ? { openedAt: this.openedAt } : {}),
      ...(this.nextProbeAt !== undefined && this.reported === 'open' && !this.forced ? { nextProbeAt: this.nextProbeAt } : {}),
      ...(this.retryAfterUntil !== undefined && this.retryAfterUntil > now ? { retryAfterUntil: this.retryAfterUntil } : {}),
      consecutiveTrips: this.trips,
    };
  }

  shutdown(): void {
    this.shut = true;
    this.cb.shutdown();
  }
}

/**
 * How long a provider's "no traffic" lasts: its Retry-After capped by maxRetryAfterMs, or, for a spend or
 * quota cap (an infinite retryAfterMs, classify.ts QUOTA_COOLDOWN), `quotaCooldownMs`.
 */
export function cooldownMs(retryAfterMs: number, config: Pick<BreakerConfig, 'maxRetryAfterMs' | 'quotaCooldownMs'>): number {
  return retryAfterMs === Number.POSITIVE_INFINITY ? config.quotaCooldownMs : Math.min(retryAfterMs, config.maxRetryAfterMs);
}
