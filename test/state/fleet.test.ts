import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { allUp, ask, circuit, startFleet, type Fleet } from './fleet-rig.js';
import { startRedis, until, type RedisServer } from './redis-server.js';

let redis: RedisServer;
let fleet: Fleet | undefined;
let prefix = 0;
beforeAll(async () => {
  redis = await startRedis();
});
afterAll(async () => {
  await redis?.stop();
});
afterEach(async () => {
  await fleet?.close();
  fleet = undefined;
});

/** Requests in turn across the replicas (r0, r1, r2, r3, r0...), each answered before the next is sent. */
async function roundRobin(f: Fleet, n: number): Promise<void> {
  for (let i = 0; i < n; i++) await f.routers[i % f.routers.length]!.chat.completions.create(ask);
}

describe('four replicas on one Redis', () => {
  it('a dead primary: the fleet pays about one replica worth of failed attempts, then every replica skips it', async () => {
    fleet = await startFleet({ replicas: 4, redisUrl: redis.url, keyPrefix: `t${++prefix}`, primary: { always: { kind: 'status', status: 500 } } });
    await until(() => allUp(fleet!.routers), 'every store up');
    const opened: number[] = [];
    fleet.routers.forEach((r, i) => r.events.on('circuit', (e, _from, to) => e === 'primary' && to === 'open' && (opened[i] = Date.now())));
    await roundRobin(fleet, 40);
    // volumeThreshold 5 at 50 %: one replica alone needs 5 failures; four unshared replicas 20.
    const hits = fleet.primary.stats().requests;
    expect(hits).toBeGreaterThanOrEqual(5);
    expect(hits).toBeLessThanOrEqual(6);
    expect(fleet.routers.map((r) => circuit(r).state)).toEqual(['open', 'open', 'open', 'open']);
    expect(fleet.routers.map((r) => circuit(r).source)).toEqual(['fleet', 'fleet', 'fleet', 'fleet']);
    const spread = Math.max(...opened) - Math.min(...opened);
    expect(spread).toBeLessThan(50);
  });

  it('without shared state, the same four replicas each pay for the outage on their own', async () => {
    fleet = await startFleet({ replicas: 4, redisUrl: undefined, primary: { always: { kind: 'status', status: 500 } } });
    await roundRobin(fleet, 40);
    expect(fleet.primary.stats().requests).toBe(20);
    expect(circuit(fleet.routers[0]!).source).toBeUndefined();
  });
});
