import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Redis } from 'ioredis';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { createRouter } from '../../src/router/router.js';
import type { Router } from '../../src/router/types.js';
import { closedPort, startSimulator, type Simulator } from '../../src/simulator/index.js';
import { gatewayUrl, spawnCli, type Spawned } from '../gateway/spawn.js';
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

async function roundRobin(f: Fleet, n: number): Promise<void> {
  for (let i = 0; i < n; i++) await f.routers[i % f.routers.length]!.chat.completions.create(ask);
}

describe('Redis down or restarted is never an outage', () => {
  it('Redis killed mid-outage and restarted: every request answered, each replica says so once, state converges', async () => {
    fleet = await startFleet({
      replicas: 4,
      redisUrl: redis.url,
      keyPrefix: `o${++prefix}`,
      primary: { always: { kind: 'status', status: 500 } },
      breaker: { resetTimeoutMs: 1_000 },
      // The kill is seen by the connection itself; a long command timeout keeps a busy machine from adding
      // down/up changes of its own to the ones counted here.
      state: { syncIntervalMs: 100, commandTimeoutMs: 1_000 },
    });
    const storeEvents = fleet.routers.map(() => [] as boolean[]);
    fleet.routers.forEach((r, i) => r.events.on('state:store', (up) => storeEvents[i]!.push(up)));
    await until(() => allUp(fleet!.routers), 'every store up');
    await until(async () => {
      await roundRobin(fleet!, 1);
      return fleet!.routers.every((r) => circuit(r).state === 'open');
    }, 'the fleet tripped');

    await redis.kill();
    // Past the fleet deadline with the store away: each replica's own breaker decides; the fallback answers.
    const answered = [];
    for (let i = 0; i < 80; i++) answered.push(await fleet.routers[i % 4]!.dispatch(ask));
    expect(answered).toHaveLength(80);
    await until(() => fleet!.routers.every((r) => r.stateStatus?.()?.up === false), 'every store down');
    expect(fleet.routers.map((r) => r.stateStatus?.()?.lagSeconds ?? 0).every((s) => s > 0), 'lag growing').toBe(true);

    fleet.primary.setFaults({});
    await redis.restart();
    await until(() => allUp(fleet!.routers), 'every store back', 15_000);
    // Down once, up once, per replica, from the kill on: no line per failed command.
    expect(
      storeEvents.map((e) => e.slice(e.indexOf(true))),
      'one down and one up per replica',
    ).toEqual(Array(4).fill([true, false, true]));
    await until(async () => {
      await roundRobin(fleet!, 4);
      return fleet!.routers.every((r) => circuit(r).state === 'closed' && circuit(r).source === 'fleet');
    }, 'every replica closed, following the fleet', 15_000);
  });

  it('Redis restarted empty while the circuit is open: the replicas write the open state back', async () => {
    const keyPrefix = `o${++prefix}`;
    fleet = await startFleet({
      replicas: 4,
      redisUrl: redis.url,
      keyPrefix,
      primary: { always: { kind: 'status', status: 500 } },
      breaker: { resetTimeoutMs: 60_000 },
      state: { syncIntervalMs: 100 },
    });
    await until(() => allUp(fleet!.routers), 'every store up');
    await roundRobin(fleet, 20);
    const hits = fleet.primary.stats().requests;
    const client = new Redis(redis.url, { lazyConnect: true });
    try {
      await client.connect();
      const before = await client.hgetall(`${keyPrefix}:circuit:primary`);
      client.disconnect();
      await redis.restart();
      await client.connect();
      await until(async () => (await client.hget(`${keyPrefix}:circuit:primary`, 'open')) === '1', 'the open state restored', 5_000);
      const after = await client.hgetall(`${keyPrefix}:circuit:primary`);
      expect({ gen: after.gen, until: after.until, trips: after.trips, act: after.act }).toEqual({ gen: before.gen, until: before.until, trips: before.trips, act: 'restore' });
      await roundRobin(fleet, 8);
      expect(fleet.primary.stats().requests).toBe(hits);
    } finally {
      client.disconnect();
    }
  });
});

describe('Redis that answers nothing (stopped, connections open)', () => {
  it('requests are served meanwhile; the store is down after a few timed-out commands and up once Redis answers again', async () => {
    const own = await startRedis();
    try {
      fleet = await startFleet({
        replicas: 2,
        redisUrl: own.url,
        primary: { always: { kind: 'status', status: 500 } },
        state: { commandTimeoutMs: 30, syncIntervalMs: 50 },
      });
      const events = fleet.routers.map(() => [] as boolean[]);
      fleet.routers.forEach((r, i) => r.events.on('state:store', (up) => events[i]!.push(up)));
      await until(() => allUp(fleet!.routers), 'every store up');
      own.pause();
      // Nothing waits on the stopped Redis: every request is answered (by the fallback), the primary's
      // circuits trip on each replica's own window once the store is declared down.
      for (let i = 0; i < 30; i++) await fleet.routers[i % 2]!.dispatch(ask);
      await until(() => fleet!.routers.every((r) => r.stateStatus?.()?.up === false), 'every store down', 5_000);
      own.resume();
      await until(() => allUp(fleet!.routers), 'every store back', 15_000);
      expect(events.map((e) => e.slice(e.indexOf(true)))).toEqual([
        [true, false, true],
        [true, false, true],
      ]);
    } finally {
      own.resume();
      await fleet?.close();
      fleet = undefined;
      await own.stop();
    }
  });
});

describe('Redis unreachable from the start', () => {
  it('the replica serves on its own breakers, reports the store down once, and still trips locally', async () => {
    const port = await closedPort();
    fleet = await startFleet({
      replicas: 1,
      redisUrl: `redis://127.0.0.1:${port}`,
      primary: { always: { kind: 'status', status: 500 } },
      state: { commandTimeoutMs: 20, syncIntervalMs: 50 },
    });
    const r = fleet.routers[0]!;
    const events: boolean[] = [];
    r.events.on('state:store', (up) => events.push(up));
    for (let i = 0; i < 10; i++) await r.chat.completions.create(ask);
    await until(() => events.length > 0, 'the store reported down');
    expect(events).toEqual([false]);
    expect(r.stateStatus?.()).toMatchObject({ up: false });
    expect(circuit(r)).toMatchObject({ state: 'open', source: 'replica' });
    expect(fleet.primary.stats().requests).toBe(5);
  });
});

describe('a replica killed while holding the probe lease', () => {
  let dir: string;
  let sims: Simulator[] = [];
  let proc: Spawned | undefined;
  let router: Router | undefined;
  beforeAll(() => {
    dir = mkdtempSync(join(tmpdir(), 'switchyard-lease-'));
  });
  afterAll(async () => {
    proc?.child.kill('SIGKILL');
    await router?.close();
    await Promise.all(sims.map((s) => s.close()));
    rmSync(dir, { recursive: true, force: true });
  });

  it('another replica probes once the lease expires, not before', async () => {
    const keyPrefix = `lease${++prefix}`;
    const primary = await startSimulator({ faults: { always: { kind: 'hang' } }, name: 'primary' });
    const fallback = await startSimulator({ name: 'fallback' });
    sims = [primary, fallback];
    const config = {
      providers: { p1: { baseURL: primary.url }, p2: { baseURL: fallback.url } },
      // timeoutMs 600: a lease of 2 x 600 + 250 ms, the first 600 ms of which its holder may start the probe in.
      endpoints: { primary: { provider: 'p1', model: 'a', timeoutMs: 600 }, fallback: { provider: 'p2', model: 'b', timeoutMs: 600 } },
      routes: { chat: { endpoints: ['primary', 'fallback'] } },
      breaker: { volumeThreshold: 3, resetTimeoutMs: 200, jitter: 0 },
      retry: { retries: 0 },
      state: { store: 'redis', url: redis.url, keyPrefix, syncIntervalMs: 100, commandTimeoutMs: 500 },
    };
    const file = join(dir, 'config.json');
    writeFileSync(file, JSON.stringify(config));
    proc = spawnCli(['serve', '--config', file, '--port', '0']);
    const url = await gatewayUrl(proc);
    const post = () =>
      fetch(`${url}/v1/chat/completions`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(ask) });
    // Three black-holed attempts at once trip the fleet.
    await Promise.all([post(), post(), post()]);
    const client = new Redis(redis.url);
    try {
      await until(async () => (await client.hget(`${keyPrefix}:circuit:primary`, 'open')) === '1', 'the fleet open');
      // Alone in the fleet, the gateway takes the lease when the open period ends; a request is its probe.
      await until(async () => (await client.exists(`${keyPrefix}:probe:primary`)) === 1, 'the gateway holding the lease');
      const holder = await client.get(`${keyPrefix}:probe:primary`);
      const hitsBefore = primary.stats().requests;
      // Requests until one is the gateway's probe (the holder probes with a request in the first timeoutMs of
      // its lease; on a busy machine the first request may come later, then it bids again).
      const pending: Promise<unknown>[] = [];
      await until(async () => {
        if (primary.stats().requests > hitsBefore) return true;
        pending.push(post().then((r) => r.arrayBuffer()).catch(() => undefined));
        await new Promise((r) => setTimeout(r, 20));
        return primary.stats().requests > hitsBefore;
      }, 'the gateway probing', 15_000, 0);
      expect(primary.stats().requests).toBe(hitsBefore + 1);
      const ttl = await client.pttl(`${keyPrefix}:probe:primary`);
      const leaseEnds = Date.now() + ttl;
      proc.child.kill('SIGKILL');
      await proc.exited;

      // A second replica, in this process, with the same config: it must wait for the dead holder's lease.
      router = createRouter(config as never, { transport: 'native' });
      const r = router;
      const probes: number[] = [];
      r.events.on('attempt:start', (a) => a.endpoint === 'primary' && probes.push(Date.now()));
      await until(() => r.stateStatus?.()?.up === true, 'the second replica up');
      await until(async () => {
        await r.chat.completions.create(ask);
        return probes.length > 0;
      }, 'the second replica probing', 15_000, 10);
      expect(holder).not.toMatch(new RegExp(`^r-${process.pid}-`));
      expect(probes).toHaveLength(1);
      // Redis expires the lease on its own clock: allow a few ms between the two clocks' readings.
      expect(probes[0]!).toBeGreaterThanOrEqual(leaseEnds - 10);
      expect(primary.stats().requests).toBe(hitsBefore + 2);
    } finally {
      client.disconnect();
    }
  });
});
