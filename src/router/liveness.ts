/**
 * What the router knows of an endpoint being alive, apart from its circuit: when it last sent anything (the
 * headers of any answer, error or not), and the attempts whose callers gave up before it did.
 *
 * A caller that gives up early (its own timeout, a signal, a client that disconnects, a short deadline) would
 * hide a hanging provider: its attempts end `cancelled`, which is never counted. So an attempt abandoned
 * before the provider sent anything is *watched*: it goes on, unseen by the caller, until the provider sends
 * headers (alive: the attempt is cut there and nothing is counted) or the attempt's own timeout passes with
 * nothing from the provider to anyone (a hang: counted as the `timeout` it would have been). At most
 * `volumeThreshold` attempts per endpoint are watched at once, enough to trip the circuit by themselves.
 */
export class Liveness {
  /** Epoch ms the provider last sent response headers on any attempt. */
  private lastHeardAt = Number.NEGATIVE_INFINITY;
  /** Start times of the watched attempts, oldest first. */
  private readonly watched: number[] = [];

  constructor(
    /** Watched attempts allowed at once. */
    readonly cap: number,
    /** The endpoint's attempt timeout, after which a watched attempt gets its verdict. */
    readonly timeoutMs: number,
  ) {}

  heard(now: number): void {
    this.lastHeardAt = now;
  }

  /** The provider sent something since `since`. */
  heardSince(since: number): boolean {
    return this.lastHeardAt >= since;
  }

  /** Takes a watch slot for an attempt started at `startedAt`; false when every slot is taken. */
  watch(startedAt: number): boolean {
    if (this.watched.length >= this.cap) return false;
    let i = this.watched.length;
    while (i > 0 && this.watched[i - 1]! > startedAt) i--;
    this.watched.splice(i, 0, startedAt);
    return true;
  }

  unwatch(startedAt: number): void {
    const i = this.watched.indexOf(startedAt);
    if (i !== -1) this.watched.splice(i, 1);
  }

  /**
   * When the endpoint looks hung to callers who cannot wait: every watch slot taken and nothing heard from
   * the provider since the oldest watched attempt began. Returns when the oldest watched attempt gets its
   * verdict (epoch ms), else undefined. Its circuit is untouched until those verdicts come.
   */
  unresponsiveUntil(): number | undefined {
    if (this.watched.length < this.cap) return undefined;
    const oldest = this.watched[0]!;
    return this.heardSince(oldest) ? undefined : oldest + this.timeoutMs;
  }

  get watching(): number {
    return this.watched.length;
  }
}
