import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseMessage } from '../../src/state/fleet-state.js';
import { LEASE_SCRIPT, RECORD_SCRIPT, TRANSITION_SCRIPT } from '../../src/state/scripts.js';
import { startRedis, type RedisServer } from './redis-server.js';

/*
 * The Lua scripts alone, against a real redis-server: the rules every replica relies on. Policy: base 1000 ms,
 * multiplier 2, max 8000 ms, no jitter; window 1000 ms in 10 buckets, volume 4, threshold 50 %.
 */
let redis: RedisServer;
let client: Redis;
let n = 0;
beforeAll(async () => {
  redis = await startRedis();
  client = new Redis(redis.url);
});
afterAll(async () => {
  client?.disconnect();
  await redis?.stop();
});

const keys = (p: string) => ({ state: `${p}:circuit:e`, window: `${p}:window:e`, lease: `${p}:probe:e` });
async function record(p: string, seenGen: number, ok: boolean) {
  const k = keys(p);
  const r = (await client.eval(RECORD_SCRIPT, 2, k.state, k.window, 'e', seenGen, ok ? 1 : 0, ok ? 0 : 1, 100, 10, 4, 50, 1000, 2, 8000, 1, 60_000, 'me', `${p}:events`)) as [number, string, number, number];
  return { tripped: r[0] === 1, state: r[1] ? parseMessage(r[1])!.state : undefined, successes: r[2], failures: r[3] };
}
async function transition(p: string, action: string, seenGen: number, extra = '0', factor = 1) {
  const k = keys(p);
  const msg = (await client.eval(TRANSITION_SCRIPT, 3, k.state, k.window, k.lease, 'e', action, seenGen, 1000, 2, 8000, factor, 60_000, 'me', `${p}:events`, extra)) as string;
  return parseMessage(msg)!.state;
}
const now = async () => {
  const [s, us] = await client.time();
  return Number(s) * 1000 + Math.floor(Number(us) / 1000);
};

describe('fleet window (RECORD_SCRIPT)', () => {
  it('counts every replica in one window and trips once volume and rate are met', async () => {
    const p = `s${++n}`;
    expect(await record(p, 0, true)).toMatchObject({ tripped: false, successes: 1, failures: 0 });
    expect(await record(p, 0, false)).toMatchObject({ tripped: false, failures: 1 });
    expect(await record(p, 0, false)).toMatchObject({ tripped: false, failures: 2 });
    // 3 failures of 4 = 75 % > 50 %, volume 4 met.
    const t0 = await now();
    const r = await record(p, 0, false);
    expect(r.tripped).toBe(true);
    expect(r.state).toMatchObject({ open: true, trips: 1, forced: false, act: 'trip', origin: 'me' });
    expect(r.state!.untilMs - t0).toBeGreaterThanOrEqual(1000);
    expect(r.state!.untilMs - t0).toBeLessThan(1100);
    expect(await client.exists(keys(p).window)).toBe(0);
  });

  it('does not count an attempt admitted under an older generation, nor one ending while open', async () => {
    const p = `s${++n}`;
    const open = await transition(p, 'force_open', 0);
    await transition(p, 'force_close', open.gen);
    expect(await record(p, open.gen - 1, false)).toMatchObject({ tripped: false, failures: 0 });
    const closed = parseMessage(`e|${(await client.hmget(keys(p).state, 'gen'))[0]}|0|0|0|0|0|0|me|x`)!.state;
    expect(await record(p, closed.gen, false)).toMatchObject({ failures: 1 });
    await transition(p, 'force_open', closed.gen);
    expect(await record(p, closed.gen, false)).toMatchObject({ tripped: false, failures: 0 });
  });

  it('takes batched counts: held-back successes arrive with the failure that follows them', async () => {
    const p = `s${++n}`;
    const k = keys(p);
    const r = (await client.eval(RECORD_SCRIPT, 2, k.state, k.window, 'e', 0, 3, 1, 100, 10, 4, 50, 1000, 2, 8000, 1, 60_000, 'me', `${p}:events`)) as [number, string, number, number];
    expect(r).toEqual([0, '', 3, 1]);
    expect((await client.eval(RECORD_SCRIPT, 2, k.state, k.window, 'e', 0, 5, 0, 100, 10, 4, 50, 1000, 2, 8000, 1, 60_000, 'me', `${p}:events`)) as unknown[]).toEqual([0, '', 8, 1]);
  });

  it('success exactly at the threshold does not trip (strictly greater, as opossum)', async () => {
    const p = `s${++n}`;
    await record(p, 0, true);
    await record(p, 0, true);
    await record(p, 0, false);
    expect((await record(p, 0, false)).tripped).toBe(false);
  });
});

describe('generations and deadlines (TRANSITION_SCRIPT)', () => {
  it('an older write loses: a trip or a probe verdict from a replica that had not seen the latest state', async () => {
    const p = `s${++n}`;
    const first = await transition(p, 'trip', 0);
    expect(first).toMatchObject({ open: true, trips: 1 });
    const closed = await transition(p, 'probe_ok', first.gen, '0');
    expect(closed).toMatchObject({ open: false, trips: 0, act: 'close' });
    // A verdict for the generation already closed changes nothing.
    expect(await transition(p, 'probe_failed', first.gen)).toEqual(closed);
    // A trip by a replica that saw the state before the close loses too.
    expect(await transition(p, 'trip', first.gen)).toEqual(closed);
    expect(await transition(p, 'trip', closed.gen)).toMatchObject({ open: true, trips: 1 });
  });

  it('a write that would shorten a later deadline keeps the later one (a second trip never shortens the first)', async () => {
    const p = `s${++n}`;
    // First trip with jitter factor 1.5: 1500 ms. The probe fails with factor 0.1: 2000 * 0.1 = 200 ms would shorten it.
    const t0 = await now();
    const first = await transition(p, 'trip', 0, '0', 1.5);
    expect(first.untilMs - t0).toBeGreaterThanOrEqual(1500);
    const again = await transition(p, 'probe_failed', first.gen, '0', 0.1);
    expect(again.gen).toBeGreaterThan(first.gen);
    expect(again.trips).toBe(2);
    expect(again.untilMs).toBe(first.untilMs);
  });

  it('backs off: each failed probe opens for base x multiplier^trips, capped', async () => {
    const p = `s${++n}`;
    let s = await transition(p, 'trip', 0);
    const periods: number[] = [];
    for (let i = 0; i < 4; i++) {
      const t = await now();
      s = await transition(p, 'probe_failed', s.gen);
      periods.push(Math.round((s.untilMs - t) / 1000));
    }
    expect(periods).toEqual([2, 4, 8, 8]);
    expect(s.trips).toBe(5);
  });

  it('Retry-After windows only ever lengthen', async () => {
    const p = `s${++n}`;
    const t0 = await now();
    const a = await transition(p, 'retry_after', 0, '5000');
    expect(a.retryUntil - t0).toBeGreaterThanOrEqual(5000);
    const b = await transition(p, 'retry_after', 0, '100');
    expect(b.retryUntil).toBe(a.retryUntil);
    const c = await transition(p, 'reset', b.gen);
    expect(c.retryUntil).toBe(0);
  });

  it('force-open persists (no TTL); other states expire after their deadline plus keepMs', async () => {
    const p = `s${++n}`;
    const s = await transition(p, 'force_open', 0);
    expect(await client.pttl(keys(p).state)).toBe(-1);
    await transition(p, 'force_close', s.gen);
    const ttl = await client.pttl(keys(p).state);
    expect(ttl).toBeGreaterThan(59_000);
    expect(ttl).toBeLessThanOrEqual(60_000);
  });

  it('restore writes a state back only when it is newer than what Redis holds', async () => {
    const p = `s${++n}`;
    const s = await transition(p, 'trip', 0);
    const older = `e|${s.gen - 1}|0|0|0|0|0|0|other|close`;
    expect(await transition(p, 'restore', 0, older)).toMatchObject({ gen: s.gen, open: true });
    const newer = `e|${s.gen + 5}|1|${s.untilMs + 1000}|0|3|${s.openedAt}|0|other|probe_failed`;
    expect(await transition(p, 'restore', 0, newer)).toMatchObject({ gen: s.gen + 5, open: true, trips: 3, untilMs: s.untilMs + 1000, act: 'restore' });
  });
});

describe('probe lease (LEASE_SCRIPT)', () => {
  it('one holder per generation, only after the open period, and not for a generation already replaced', async () => {
    const p = `s${++n}`;
    const k = keys(p);
    const lease = (gen: number, who: string) => client.eval(LEASE_SCRIPT, 2, k.state, k.lease, gen, `${who}:${gen}`, 5_000) as Promise<number>;
    const s = await transition(p, 'trip', 0, '0', 0.05); // 50 ms open period
    // Too early by Redis's clock: the answer says how long is left.
    const early = await lease(s.gen, 'a');
    expect(early).toBeLessThan(0);
    expect(-early).toBeLessThanOrEqual(50);
    let won = early;
    while (won < 0) won = await lease(s.gen, 'a');
    expect(won).toBe(1);
    expect(await lease(s.gen - 1, 'b')).toBe(0);
    expect(await lease(s.gen, 'b')).toBe(0);
    expect(await client.get(k.lease)).toBe(`a:${s.gen}`);
    expect(await client.pttl(k.lease)).toBeGreaterThan(4_000);
  });
});
