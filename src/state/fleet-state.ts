/**
 * One endpoint's circuit as the fleet sees it. Times are Redis's clock (epoch ms), not this replica's.
 * A circuit that is `open` with `untilMs` passed is half-open: one replica's probe decides.
 */
export interface FleetState {
  /** Bumped by every write to max(gen + 1, Redis ms): a write seen with a lower one is older and loses. */
  readonly gen: number;
  readonly open: boolean;
  /** End of the open period (Redis ms); 0 when closed. */
  readonly untilMs: number;
  /** Held open by an operator until force-closed or reset. */
  readonly forced: boolean;
  /** Consecutive trips without a successful probe (drives the open-period backoff). */
  readonly trips: number;
  readonly openedAt: number;
  /** No traffic before this (Redis ms), from an upstream's Retry-After. */
  readonly retryUntil: number;
  /** The replica that made the last write. */
  readonly origin: string;
  /** The last write: trip, close, probe_failed, force_open, force_close, reset, retry_after, restore. */
  readonly act: string;
}

/** What a write is answered with and what is published: `endpoint|gen|open|until|forced|trips|openedAt|retryUntil|origin|act`. */
export function parseMessage(msg: string): { endpoint: string; state: FleetState } | undefined {
  const f = msg.split('|');
  if (f.length !== 10) return undefined;
  const n = (i: number) => {
    const v = Number(f[i]);
    return Number.isFinite(v) ? v : NaN;
  };
  const state: FleetState = {
    gen: n(1),
    open: f[2] === '1',
    untilMs: n(3),
    forced: f[4] === '1',
    trips: n(5),
    openedAt: n(6),
    retryUntil: n(7),
    origin: f[8]!,
    act: f[9]!,
  };
  if ([state.gen, state.untilMs, state.trips, state.openedAt, state.retryUntil].some(Number.isNaN)) return undefined;
  return { endpoint: f[0]!, state };
}

export function encodeMessage(endpoint: string, s: FleetState): string {
  return [endpoint, s.gen, s.open ? 1 : 0, s.untilMs, s.forced ? 1 : 0, s.trips, s.openedAt, s.retryUntil, s.origin, s.act].join('|');
}

/** Worth writing back to a Redis that lost it (restarted empty): anything that holds traffic away. */
export function holdsTraffic(s: FleetState, redisNow: number): boolean {
  return s.open || s.forced || s.retryUntil > redisNow;
}

export type MirrorListener = (state: FleetState, previous: FleetState | undefined) => void;

/**
 * This replica's copy of the fleet state, read at admission without waiting for anything. Updates come
 * from pub/sub, from the answers to this replica's own writes and from the periodic full read; a newer
 * generation replaces, the same generation only ever lengthens the Retry-After window (messages may
 * arrive out of order), and the full read, Redis's own word, replaces the same generation outright.
 */
export class Mirror {
  private readonly states = new Map<string, FleetState>();
  private readonly listeners = new Map<string, Set<MirrorListener>>();

  get(endpoint: string): FleetState | undefined {
    return this.states.get(endpoint);
  }

  apply(endpoint: string, s: FleetState, authoritative = false): void {
    const cur = this.states.get(endpoint);
    let next: FleetState | undefined;
    if (!cur || s.gen > cur.gen) next = s;
    else if (s.gen === cur.gen) {
      if (authoritative && !sameState(s, cur)) next = s;
      else if (s.retryUntil > cur.retryUntil) next = { ...cur, retryUntil: s.retryUntil };
    }
    if (next) this.set(endpoint, next, cur);
  }

  /** What this replica just did, shown before Redis confirms it (the generation stays, so Redis's answer replaces it). */
  provisional(endpoint: string, patch: Partial<FleetState>): void {
    const cur = this.states.get(endpoint);
    if (cur) this.set(endpoint, { ...cur, ...patch }, cur);
  }

  watch(endpoint: string, listener: MirrorListener): () => void {
    let set = this.listeners.get(endpoint);
    if (!set) this.listeners.set(endpoint, (set = new Set()));
    set.add(listener);
    return () => set.delete(listener);
  }

  private set(endpoint: string, next: FleetState, prev: FleetState | undefined): void {
    this.states.set(endpoint, next);
    for (const l of this.listeners.get(endpoint) ?? []) l(next, prev);
  }
}

function sameState(a: FleetState, b: FleetState): boolean {
  return (
    a.open === b.open &&
    a.untilMs === b.untilMs &&
    a.forced === b.forced &&
    a.trips === b.trips &&
    a.retryUntil === b.retryUntil &&
    a.openedAt === b.openedAt
  );
}
