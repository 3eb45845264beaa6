import { describe, expect, it } from 'vitest';
import { HELLO, stackPerTest, type Stack } from './helpers.js';

const start = stackPerTest();

const ADMIN = 'admin-secret-key-1';
const admin = (s: Stack, path: string, method = 'GET', key: string | null = ADMIN) =>
  fetch(`${s.url}${path}`, { method, headers: key === null ? {} : { authorization: `Bearer ${key}` } });

describe('circuit breaking through the gateway', () => {
  it('opens the circuit of a failing endpoint, which then gets zero traffic', async () => {
    const s = await start({ upstreams: { primary: { always: { kind: 'status', status: 500 } }, fallback: {} } });
    const client = s.client();
    // volumeThreshold 2: the second failure trips the circuit.
    for (let i = 0; i < 2; i++) await client.chat.completions.create({ model: 'chat', messages: HELLO });
    expect(s.router.circuits().find((c) => c.endpoint === 'primary')!.state).toBe('open');
    s.sims.primary!.resetStats();

    for (let i = 0; i < 5; i++) {
      const { response } = await client.chat.completions.create({ model: 'chat', messages: HELLO }).withResponse();
      expect(response.headers.get('x-switchyard-endpoint')).toBe('fallback');
      // Skipped, not attempted: only the fallback's attempt counts.
      expect(response.headers.get('x-switchyard-attempts')).toBe('1');
    }
    expect(s.sims.primary!.stats().requests).toBe(0);
    expect(s.logs.some((l) => l.event === 'circuit' && l.endpoint === 'primary' && l.to === 'open')).toBe(true);
  });

  it('fails fast with 503 and Retry-After when every circuit of the route is open', async () => {
    const s = await start({
      upstreams: { primary: { always: { kind: 'status', status: 500 } }, fallback: { always: { kind: 'status', status: 503 } } },
    });
    const client = s.client();
    for (let i = 0; i < 2; i++) await client.chat.completions.create({ model: 'chat', messages: HELLO }).catch(() => undefined);
    s.sims.primary!.resetStats();
    s.sims.fallback!.resetStats();

    const res = await fetch(`${s.url}/v1/chat/completions`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ model: 'chat', messages: HELLO }),
    });
    expect(res.status).toBe(503);
    const retryAfter = Number(res.headers.get('retry-after'));
    expect(retryAfter).toBeGreaterThanOrEqual(1);
    // resetTimeoutMs is 600 s in these tests.
    expect(retryAfter).toBeLessThanOrEqual(600);
    const body = (await res.json()) as { error: { code: string; type: string; message: string } };
    expect(body.error.code).toBe('route_unavailable');
    expect(body.error.type).toBe('server_error');
    expect(res.headers.get('x-switchyard-route')).toBe('chat');
    expect(res.headers.get('x-switchyard-attempts')).toBe('0');
    expect(s.sims.primary!.stats().requests + s.sims.fallback!.stats().requests).toBe(0);

    // The SDK surfaces it as its usual typed error.
    const err = await client.chat.completions.create({ model: 'chat', messages: HELLO }).catch((e: unknown) => e);
    expect(err).toMatchObject({ status: 503 });

    const ready = await fetch(`${s.url}/readyz`);
    expect(ready.status).toBe(503);
    expect(((await ready.json()) as { unavailable: string[] }).unavailable).toEqual(['chat']);
  });

  it('answers 502 listing every attempt when they all fail', async () => {
    const s = await start({
      upstreams: { primary: { always: { kind: 'status', status: 500 } }, fallback: { always: { kind: 'status', status: 429 } } },
      breaker: { volumeThreshold: 100 },
    });
    const res = await fetch(`${s.url}/v1/chat/completions`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ model: 'chat', messages: HELLO }),
    });
    expect(res.status).toBe(502);
    const body = (await res.json()) as { error: { code: string; message: string; attempts: { endpoint: string; outcome: string }[] } };
    expect(body.error.code).toBe('all_attempts_failed');
    expect(body.error.message).toContain('primary: server_error');
    expect(body.error.message).toContain('fallback: rate_limited');
    expect(body.error.attempts.map((a) => [a.endpoint, a.outcome])).toEqual([
      ['primary', 'server_error'],
      ['fallback', 'rate_limited'],
    ]);
    expect(res.headers.get('x-switchyard-attempts')).toBe('2');
    expect(res.headers.get('x-switchyard-endpoint')).toBeNull();
  });

  it('answers 504 when the route deadline passes', async () => {
    const s = await start({
      // Each attempt times out at 200 ms; the deadline cuts the second one.
      upstreams: { primary: { always: { kind: 'hang' } }, fallback: { always: { kind: 'hang' } } },
      endpoints: { primary: { timeoutMs: 200 }, fallback: { timeoutMs: 200 } },
      routes: { chat: { endpoints: ['primary', 'fallback'], deadlineMs: 300 } },
      breaker: { volumeThreshold: 100 },
    });
    const err = await s.client().chat.completions.create({ model: 'chat', messages: HELLO }).catch((e: unknown) => e);
    expect(err).toMatchObject({ status: 504, code: 'deadline_exceeded' });
  });
});

describe('admin API', () => {
  it('lists circuits and forces them open and closed', async () => {
    const s = await start({ upstreams: { primary: {}, fallback: {} }, server: { adminKey: ADMIN } });
    const list = await admin(s, '/admin/circuits');
    expect(list.status).toBe(200);
    const circuits = ((await list.json()) as { circuits: { endpoint: string; state: string }[] }).circuits;
    expect(circuits.map((c) => [c.endpoint, c.state])).toEqual([
      ['primary', 'closed'],
      ['fallback', 'closed'],
    ]);

    const opened = await admin(s, '/admin/circuits/primary/open', 'POST');
    expect(opened.status).toBe(200);
    expect(((await opened.json()) as { circuit: { state: string; forced?: string } }).circuit).toMatchObject({ state: 'open', forced: 'open' });
    const { response } = await s.client().chat.completions.create({ model: 'chat', messages: HELLO }).withResponse();
    expect(response.headers.get('x-switchyard-endpoint')).toBe('fallback');
    expect(s.sims.primary!.stats().requests).toBe(0);

    const models = (await (await fetch(`${s.url}/v1/models`)).json()) as {
      data: { id: string; available: boolean; endpoints: { id: string; state: string }[] }[];
    };
    expect(models.data.find((m) => m.id === 'primary')).toMatchObject({ available: false, endpoints: [{ id: 'primary', state: 'open' }] });
    expect(models.data.find((m) => m.id === 'chat')).toMatchObject({ available: true, kind: 'route' });

    const closed = await admin(s, '/admin/circuits/primary/close', 'POST');
    expect(((await closed.json()) as { circuit: { state: string } }).circuit.state).toBe('closed');
    const again = await s.client().chat.completions.create({ model: 'chat', messages: HELLO }).withResponse();
    expect(again.response.headers.get('x-switchyard-endpoint')).toBe('primary');

    const reset = await admin(s, '/admin/circuits/fallback/reset', 'POST');
    expect(reset.status).toBe(200);
    expect(s.logs.some((l) => l.event === 'admin' && l.action === 'open' && l.endpoint === 'primary')).toBe(true);
  });

  it('503 and not ready once every circuit is forced open', async () => {
    const s = await start({ upstreams: { primary: {}, fallback: {} }, server: { adminKey: ADMIN } });
    expect((await fetch(`${s.url}/readyz`)).status).toBe(200);
    await admin(s, '/admin/circuits/primary/open', 'POST');
    await admin(s, '/admin/circuits/fallback/open', 'POST');
    expect((await fetch(`${s.url}/readyz`)).status).toBe(503);
    const err = await s.client().chat.completions.create({ model: 'chat', messages: HELLO }).catch((e: unknown) => e);
    expect(err).toMatchObject({ status: 503 });
    expect(s.sims.primary!.stats().requests + s.sims.fallback!.stats().requests).toBe(0);
  });

  it('needs the admin key when one is set', async () => {
    const s = await start({ upstreams: { primary: {} }, server: { adminKey: ADMIN } });
    for (const [path, method] of [
      ['/admin/circuits', 'GET'],
      ['/admin/circuits/primary/open', 'POST'],
      // Asking which methods a path takes is an /admin/* call too.
      ['/admin/circuits', 'OPTIONS'],
      ['/admin/circuits/primary/open', 'OPTIONS'],
      ['/admin/circuits/primary/open', 'PUT'],
    ] as const) {
      const missing = await admin(s, path, method, null);
      expect(missing.status).toBe(401);
      expect(((await missing.json()) as { error: { type: string } }).error.type).toBe('authentication_error');
      expect((await admin(s, path, method, 'wrong-key')).status).toBe(401);
    }
    expect(s.router.circuits()[0]!.state).toBe('closed');
  });

  it('refuses writes and allows reads when no admin key is configured', async () => {
    const s = await start({ upstreams: { primary: {} } });
    expect((await admin(s, '/admin/circuits', 'GET', null)).status).toBe(200);
    const write = await admin(s, '/admin/circuits/primary/open', 'POST', null);
    expect(write.status).toBe(403);
    expect(((await write.json()) as { error: { code: string } }).error.code).toBe('admin_disabled');
    expect((await admin(s, '/admin/circuits/primary/open', 'POST', 'anything')).status).toBe(403);
    expect(s.router.circuits()[0]!.state).toBe('closed');
  });

  it('404 for an unknown endpoint', async () => {
    const s = await start({ upstreams: { primary: {} }, server: { adminKey: ADMIN } });
    const res = await admin(s, '/admin/circuits/nope/open', 'POST');
    expect(res.status).toBe(404);
    expect(((await res.json()) as { error: { code: string } }).error.code).toBe('unknown_endpoint');
  });
});
