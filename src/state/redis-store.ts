import { randomBytes } from 'node:crypto';
import { Redis, type RedisOptions } from 'ioredis';
import type { BreakerConfig, StateConfig } from '../config/schema.js';
import { holdsTraffic, encodeMessage, Mirror, parseMessage, type FleetState, type MirrorListener } from './fleet-state.js';
import { keyLayout, type KeyLayout } from './keys.js';
import { StoreHealth } from './store-health.js';
import { LEASE_SCRIPT, READ_SCRIPT, RECORD_SCRIPT, RELEASE_SCRIPT, TRANSITION_SCRIPT } from './scripts.js';
import type { FleetAction, LeaseAnswer, SharedStateStore, StateStoreStatus } from './store.js';

export interface RedisStateStoreOptions {
  readonly config: StateConfig;
  /** Every endpoint id of the config: what the periodic read covers. */
  readonly endpoints: readonly string[];
  /** This replica's clock (epoch ms). Default Date.now. */
  readonly now?: () => number;
  readonly random?: () => number;
  /** Default: a random id per process. */
  readonly replicaId?: string;
}

type Scripted = Redis & {
  syRecord(...args: (string | number)[]): Promise<[number, string, number, number]>;
  syTransition(...args: (string | number)[]): Promise<string>;
  syRead(...args: (string | number)[]): Promise<string[]>;
  syRelease(...args: (string | number)[]): Promise<number>;
  syLease(...args: (string | number)[]): Promise<number>;
};

/**
 * Circuit state shared through Redis. Nothing here is awaited on a request's path: admission reads the
 * mirror, writes go out and their answers (and everyone else's, by pub/sub) update the mirror when they
 * come. Commands time out after `commandTimeoutMs` and are never queued while disconnected, so a Redis
 * that is down or slow costs a failed promise, not a wait.
 */
export class RedisStateStore implements SharedStateStore {
  readonly kind = 'redis' as const;
  readonly replicaId: string;
  private readonly mirror = new Mirror();
  private readonly keys: KeyLayout;
  private readonly cmd: Scripted;
  private readonly sub: Redis;
  private readonly now: () => number;
  private readonly random: () => number;
  private readonly timer: NodeJS.Timeout;
  private readonly health = new StoreHealth();
  private offset = 0;
  private lastSync: number;
  private syncing: Promise<void> | undefined;
  private closed = false;
  private readonly heldSuccesses = new Map<string, { gen: number; count: number; b: BreakerConfig }>();
  private batchTimer: NodeJS.Timeout | undefined;

  constructor(private readonly opts: RedisStateStoreOptions) {
    const c = opts.config;
    this.now = opts.now ?? Date.now;
    this.random = opts.random ?? Math.random;
    this.replicaId = opts.replicaId ?? `r-${process.pid}-${randomBytes(4).toString('hex')}`;
    this.keys = keyLayout(c.keyPrefix);
    this.lastSync = this.now();
    const base: RedisOptions = {
      commandTimeout: c.commandTimeoutMs,
      // Generous: while a connection is being made commands fail at once (no offline queue), so a slow
      // connect costs no request anything, and a busy host does not make a reachable Redis look down.
      connectTimeout: Math.max(2_000, c.commandTimeoutMs * 10),
      maxRetriesPerRequest: 0,
      enableOfflineQueue: false,
      // Reconnect quickly, then every second at most: the periodic read re-synchronises once back.
      retryStrategy: (times) => Math.min(50 * times, 1_000),
      lazyConnect: false,
    };
    this.cmd = new Redis(c.url, base) as Scripted;
    this.cmd.defineCommand('syRecord', { numberOfKeys: 2, lua: RECORD_SCRIPT });
    this.cmd.defineCommand('syTransition', { numberOfKeys: 3, lua: TRANSITION_SCRIPT });
    this.cmd.defineCommand('syRead', { lua: READ_SCRIPT });
    this.cmd.defineCommand('syRelease', { numberOfKeys: 1, lua: RELEASE_SCRIPT });
    this.cmd.defineCommand('syLease', { numberOfKeys: 2, lua: LEASE_SCRIPT });
    this.cmd.on('error', (e: Error) => this.health.disconnected(e));
    this.cmd.on('close', () => this.health.disconnected());
    this.cmd.on('ready', () => void this.sync());
    // The subscriber queues its SUBSCRIBE until connected and re-subscribes after a reconnect by itself.
    this.sub = new Redis(c.url, { ...base, enableOfflineQueue: true, commandTimeout: undefined, autoResubscribe: true });
    this.sub.on('error', () => undefined);
    this.sub.on('message', (_channel: string, msg: string) => this.onMessage(msg));
    // Messages published while it was away are lost: read everything again once it is back.
    this.sub.on('ready', () => void this.sync());
    this.sub.subscribe(this.keys.channel).catch(() => undefined);
    this.timer = setInterval(() => void this.sync(), c.syncIntervalMs);
    this.timer.unref();
  }

  status(): StateStoreStatus {
    return { up: this.health.up === true, lagSeconds: Math.max(0, this.now() - this.lastSync) / 1000 };
  }

  onStatus(listener: (up: boolean, reason?: string) => void): () => void {
    return this.health.onChange(listener);
  }

  view(endpoint: string): FleetState | undefined {
    return this.mirror.get(endpoint);
  }

  watch(endpoint: string, listener: MirrorListener): () => void {
    return this.mirror.watch(endpoint, listener);
  }

  fleetNow(): number {
    return this.now() + this.offset;
  }

  toLocal(redisMs: number): number {
    return redisMs - this.offset;
  }

  provisional(endpoint: string, patch: Partial<FleetState>): void {
    this.mirror.provisional(endpoint, patch);
  }

  /**
   * Failures go at once (they may trip the circuit), with the successes held back for the same generation;
   * successes alone wait up to SUCCESS_BATCH_MS and go as one count, so a healthy endpoint costs Redis a
   * call per batch rather than one per request.
   */
  record(endpoint: string, seenGen: number, ok: boolean, b: BreakerConfig): void {
    if (!this.health.up) return;
    let held = this.heldSuccesses.get(endpoint);
    if (held && held.gen !== seenGen) {
      this.flushSuccesses(endpoint);
      held = undefined;
    }
    if (ok) {
      if (held) held.count++;
      else this.heldSuccesses.set(endpoint, { gen: seenGen, count: 1, b });
      this.batchTimer ??= setTimeout(() => {
        this.batchTimer = undefined;
        for (const e of [...this.heldSuccesses.keys()]) this.flushSuccesses(e);
      }, SUCCESS_BATCH_MS).unref();
      return;
    }
    this.heldSuccesses.delete(endpoint);
    this.sendRecord(endpoint, seenGen, held?.count ?? 0, 1, b);
  }

  private flushSuccesses(endpoint: string): void {
    const held = this.heldSuccesses.get(endpoint);
    this.heldSuccesses.delete(endpoint);
    if (held && this.health.up) this.sendRecord(endpoint, held.gen, held.count, 0, held.b);
  }

  private sendRecord(endpoint: string, seenGen: number, successes: number, failures: number, b: BreakerConfig): void {
    const k = this.keys;
    const recorded = this.cmd.syRecord(k.state(endpoint), k.window(endpoint), endpoint, seenGen, successes, failures, b.rollingWindowMs / b.rollingBuckets,
      b.rollingBuckets, b.volumeThreshold, b.errorThresholdPercentage, b.resetTimeoutMs, b.backoffMultiplier, b.maxResetTimeoutMs, this.jitterFactor(b),
      this.opts.config.keepMs, this.replicaId, k.channel);
    void this.health.told(recorded).then((r) => {
      if (r?.[0] === 1) this.onMessage(r[1]);
    });
  }

  transition(endpoint: string, action: FleetAction, seenGen: number, b: BreakerConfig, retryAfterMs = 0): void {
    this.write(endpoint, action, seenGen, b, String(Math.round(retryAfterMs)));
  }

  private write(endpoint: string, action: string, seenGen: number, b: BreakerConfig, extra: string): void {
    const k = this.keys;
    const written = this.cmd.syTransition(k.state(endpoint), k.window(endpoint), k.lease(endpoint), endpoint, action, seenGen, b.resetTimeoutMs,
      b.backoffMultiplier, b.maxResetTimeoutMs, this.jitterFactor(b), this.opts.config.keepMs, this.replicaId, k.channel, extra);
    void this.health.told(written).then((msg) => {
      if (msg !== undefined) this.onMessage(msg, true);
    });
  }

  async acquireLease(endpoint: string, gen: number, ms: number): Promise<LeaseAnswer> {
    const r = await this.health.told(this.cmd.syLease(this.keys.state(endpoint), this.keys.lease(endpoint), gen, `${this.replicaId}:${gen}`, Math.max(1, Math.round(ms))));
    if (r === undefined) return { won: false };
    return r < 0 ? { won: false, earlyMs: -r } : { won: r === 1 };
  }

  releaseLease(endpoint: string, gen: number): void {
    this.cmd.syRelease(this.keys.lease(endpoint), `${this.replicaId}:${gen}`).catch(() => undefined);
  }

  rememberConversation(responseId: string, provider: string): void {
    if (!this.health.up) return;
    void this.health.told(this.cmd.set(this.keys.conversation(responseId), provider, 'PX', this.opts.config.conversationTtlMs));
  }

  async conversationHolder(responseId: string): Promise<string | undefined> {
    if (!this.health.up) return undefined;
    return (await this.health.told(this.cmd.get(this.keys.conversation(responseId)))) ?? undefined;
  }

  async close(): Promise<void> {
    this.closed = true;
    this.health.close();
    clearInterval(this.timer);
    clearTimeout(this.batchTimer);
    for (const e of [...this.heldSuccesses.keys()]) this.flushSuccesses(e);
    await this.syncing?.catch(() => undefined);
    this.sub.disconnect();
    // QUIT waits for the replies still due (a lease released by a closing breaker); a store that is away
    // refuses it at once (no offline queue), and a slow one gets the command timeout.
    await this.cmd.quit().catch(() => undefined);
    this.cmd.disconnect();
  }

  /** The backstop: every endpoint's state and Redis's clock in one script call; then writes back what Redis lost. */
  sync(): Promise<void> {
    if (this.closed) return Promise.resolve();
    return (this.syncing ??= this.readAll().finally(() => (this.syncing = undefined)));
  }

  private async readAll(): Promise<void> {
    const { endpoints } = this.opts;
    const t0 = this.now();
    let r: string[];
    try {
      r = await this.cmd.syRead(endpoints.length, ...endpoints.map((e) => this.keys.state(e)), ...endpoints);
    } catch (e) {
      this.health.failed(e as Error);
      return;
    }
    const t1 = this.now();
    // The midpoint of the round trip is when Redis read its clock, give or take half of it.
    const redisNow = Number(r[0]);
    if (Number.isFinite(redisNow)) this.offset = redisNow - (t0 + t1) / 2;
    this.lastSync = t1;
    this.health.answered();
    endpoints.forEach((endpoint, i) => {
      const parsed = r[i + 1] ? parseMessage(r[i + 1]!) : undefined;
      const mine = this.mirror.get(endpoint);
      if (parsed) this.mirror.apply(endpoint, parsed.state, true);
      // Redis restarted empty (or lost a write): what this replica saw is newer, and still matters.
      if (mine && mine.gen > (parsed?.state.gen ?? 0) && holdsTraffic(mine, redisNow)) {
        this.write(endpoint, 'restore', 0, RESTORE_POLICY, encodeMessage(endpoint, mine));
      }
    });
  }

  private onMessage(msg: string, authoritative = false): void {
    const parsed = parseMessage(msg);
    if (parsed && this.opts.endpoints.includes(parsed.endpoint)) this.mirror.apply(parsed.endpoint, parsed.state, authoritative);
  }

  private jitterFactor(b: BreakerConfig): number {
    return 1 + b.jitter * (2 * this.random() - 1);
  }
}

/** How long successes alone are held before they go to the fleet window as one count. */
const SUCCESS_BATCH_MS = 20;

/** `restore` ignores the open-period policy; any valid one will do. */
const RESTORE_POLICY: BreakerConfig = {
  errorThresholdPercentage: 50,
  volumeThreshold: 1,
  rollingWindowMs: 1,
  rollingBuckets: 1,
  resetTimeoutMs: 1,
  backoffMultiplier: 1,
  maxResetTimeoutMs: 1,
  jitter: 0,
  maxRetryAfterMs: 1,
  quotaCooldownMs: 1,
};
