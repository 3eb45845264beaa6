import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createGateway } from '../../src/gateway/app.js';
import { createLogger } from '../../src/gateway/logging.js';
import { instrument } from '../../src/telemetry/index.js';
import { Writable } from 'node:stream';
import { allUp, startFleet, type Fleet } from './fleet-rig.js';
import { startRedis, until, type RedisServer } from './redis-server.js';

let redis: RedisServer;
beforeAll(async () => {
  redis = await startRedis();
});
afterAll(async () => {
  await redis?.stop();
});

describe('shared state in /metrics, /admin/circuits and the log', () => {
  it('exports switchyard_state_store_up and the lag; absent with the memory store', async () => {
    const shared = await startFleet({ replicas: 1, redisUrl: redis.url, keyPrefix: 'm1', state: { syncIntervalMs: 100 } });
    const alone = await startFleet({ replicas: 1, redisUrl: undefined });
    try {
      await until(() => allUp(shared.routers), 'store up');
      const t = instrument(shared.routers[0]!);
      const text = (await t.scrape()).body;
      expect(text).toMatch(/^switchyard_state_store_up 1$/m);
      expect(text).toMatch(/^switchyard_state_store_lag_seconds 0(\.\d+)?$/m);
      const om = (await t.scrape('application/openmetrics-text; version=1.0.0')).body;
      expect(om).toMatch(/^switchyard_state_store_up 1$/m);
      t.stop();
      const plain = instrument(alone.routers[0]!);
      expect((await plain.scrape()).body).not.toContain('switchyard_state_store');
      plain.stop();
    } finally {
      await shared.close();
      await alone.close();
    }
  });

  it('GET /admin/circuits says where each state came from; the store going away is logged once', async () => {
    const own = await startRedis();
    const fleet: Fleet = await startFleet({ replicas: 2, redisUrl: own.url, keyPrefix: 'm2', state: { syncIntervalMs: 50 } });
    const lines: Record<string, unknown>[] = [];
    const destination = new Writable({
      write(chunk: Buffer, _enc, done) {
        for (const l of chunk.toString().split('\n').filter(Boolean)) lines.push(JSON.parse(l) as Record<string, unknown>);
        done();
      },
    });
    const gateway = createGateway({ router: fleet.routers[0]!, config: { server: { adminKey: 'admin-key-0123456789', host: '127.0.0.1', port: 0, apiKeys: [], bodyLimitBytes: 1 << 20, shutdownGraceMs: 1000 }, providers: {} }, logger: createLogger({ destination }) });
    const { url } = await gateway.listen(0, '127.0.0.1');
    const circuits = async () => {
      const res = await fetch(`${url}/admin/circuits`, { headers: { authorization: 'Bearer admin-key-0123456789' } });
      return ((await res.json()) as { circuits: { endpoint: string; state: string; source?: string; forced?: string }[] }).circuits;
    };
    try {
      await until(() => allUp(fleet.routers), 'stores up');
      fleet.routers[1]!.forceOpen('primary');
      await until(async () => (await circuits()).find((c) => c.endpoint === 'primary')?.forced === 'open', 'the other replica force-open seen');
      expect((await circuits()).map((c) => [c.endpoint, c.state, c.source])).toEqual([
        ['primary', 'open', 'fleet'],
        ['fallback', 'closed', 'fleet'],
      ]);
      await own.kill();
      await until(() => fleet.routers[0]!.stateStatus?.()?.up === false, 'store down');
      // Forced by an operator: still held while the store is away (operator intent is not guessed away).
      expect((await circuits()).find((c) => c.endpoint === 'primary')).toMatchObject({ state: 'open', source: 'fleet' });
      expect((await circuits()).find((c) => c.endpoint === 'fallback')).toMatchObject({ state: 'closed', source: 'replica' });
      await new Promise((r) => setTimeout(r, 200)); // several failed syncs and reconnects
      const storeLines = lines.filter((l) => l.event === 'state_store');
      expect(storeLines.filter((l) => l.up === false)).toHaveLength(1);
      expect(JSON.stringify(storeLines)).not.toContain(String(own.port));
    } finally {
      await gateway.close({ graceMs: 100 });
      await fleet.close();
      await own.stop();
    }
  });
});
