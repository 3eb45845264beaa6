import { Redis } from 'ioredis';
import type { Response } from 'openai/resources/responses/responses';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { allUp, startFleet, type Fleet } from './fleet-rig.js';
import { startRedis, until, type RedisServer } from './redis-server.js';

/*
 * A Responses API conversation lives at the provider that answered it. A follow-up (`previous_response_id`)
 * that reaches another replica must go to that provider too: the fleet remembers the holder in Redis.
 */

let redis: RedisServer;
/** The test's own connection, to see what the fleet wrote. */
let peek: Redis;
let fleet: Fleet | undefined;
let prefix = 0;
beforeAll(async () => {
  redis = await startRedis();
  peek = new Redis(redis.url);
});
afterAll(async () => {
  peek?.disconnect();
  await redis?.stop();
});
afterEach(async () => {
  await fleet?.close();
  fleet = undefined;
});

/** Replica 0 starts a conversation while the primary is down, so the fallback's provider holds it. */
async function conversationOnFallback(f: Fleet): Promise<Response> {
  f.primary.setFaults({ always: { kind: 'status', status: 500 } });
  const first = (await f.routers[0]!.responses.create({ model: 'chat', input: 'remember the number 7' })) as Response;
  f.primary.setFaults({});
  return first;
}

const skipsOf = (f: Fleet, replica: number) => {
  const seen: string[] = [];
  f.routers[replica]!.events.on('skip', (_req, endpoint, reason) => seen.push(`${endpoint}:${reason}`));
  return seen;
};

describe('Responses conversations across replicas', () => {
  it('a follow-up on another replica goes to the provider holding the conversation', async () => {
    fleet = await startFleet({ replicas: 2, redisUrl: redis.url, keyPrefix: `conv${++prefix}` });
    await until(() => allUp(fleet!.routers), 'every store up');
    const first = await conversationOnFallback(fleet);
    const fallbackBefore = fleet.fallback.stats().requests;
    const skips = skipsOf(fleet, 1);
    // The write is not awaited on the request's path: wait until the fleet has it.
    await until(async () => (await peek.get(`conv${prefix}:conversation:${first.id}`)) === 'p2', 'the holder in Redis');
    const follow = await fleet.routers[1]!.responses.create({ model: 'chat', input: 'what was the number?', previous_response_id: first.id }).withRoute();
    expect(follow.endpoint).toBe('fallback');
    expect(skips).toEqual(['primary:other_provider']);
    expect(fleet.fallback.stats().requests).toBe(fallbackBefore + 1);
    // The key expires (conversationTtlMs), so Redis stays bounded whatever the traffic.
    const ttl = await peek.pttl(`conv${prefix}:conversation:${first.id}`);
    expect(ttl).toBeGreaterThan(0);
    expect(ttl).toBeLessThanOrEqual(86_400_000);
  });

  it('without a shared store the other replica tries the primary first: refused (400), fallen back from, never charged', async () => {
    fleet = await startFleet({ replicas: 2, redisUrl: undefined });
    const first = await conversationOnFallback(fleet);
    const primaryBefore = fleet.primary.stats().requests;
    const charges: string[] = [];
    fleet.routers[1]!.events.on('charge', (endpoint, verdict, reason) => charges.push(`${endpoint}:${verdict}:${reason}`));
    for (let i = 0; i < 10; i++) {
      const follow = await fleet.routers[1]!.responses.create({ model: 'chat', input: 'what was the number?', previous_response_id: first.id }).withRoute();
      expect(follow.endpoint).toBe('fallback');
    }
    // Each follow-up paid one refused attempt: the wasted call that sharing the holder saves.
    expect(fleet.primary.stats().requests).toBe(primaryBefore + 10);
    expect(new Set(charges)).toEqual(new Set(['primary:spared:request_fault']));
    expect(fleet.routers[1]!.circuits().find((c) => c.endpoint === 'primary')!.window.failures).toBe(0);
  });

  it('an id nobody remembers routes as the chain says; a huge one is not even looked up', async () => {
    fleet = await startFleet({ replicas: 1, redisUrl: redis.url, keyPrefix: `conv${++prefix}` });
    await until(() => allUp(fleet!.routers), 'every store up');
    const unknown = await fleet.routers[0]!.responses.create({ model: 'chat', input: 'x', previous_response_id: 'resp_never_seen' }).catch((e: unknown) => e);
    // The simulator, like OpenAI, refuses an id it never gave out: the caller's 400, no circuit charged.
    expect(unknown).toMatchObject({ status: 400 });
    const huge = await fleet.routers[0]!.responses.create({ model: 'chat', input: 'x', previous_response_id: `resp_${'x'.repeat(10_000)}` }).catch((e: unknown) => e);
    expect(huge).toMatchObject({ status: 400 });
    expect(await peek.keys(`conv${prefix}:conversation:*`)).toEqual([]);
    expect(fleet.routers[0]!.circuits().every((c) => c.window.failures === 0)).toBe(true);
  });
});
