import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { HELLO, startStack, type Stack } from './helpers.js';

/*
 * A canary provider key travels through every path a key could leak by: successes, streams, an upstream
 * error that echoes it, all attempts failing, all circuits open, the admin and model listings, metrics,
 * and the logs. It must never come back out.
 */

const CANARY = `sk-canary-${randomBytes(12).toString('hex')}`;
const CLIENT_KEY = `client-canary-${randomBytes(8).toString('hex')}`;
const ADMIN_KEY = `admin-canary-${randomBytes(8).toString('hex')}`;
const SECRETS = [CANARY, CLIENT_KEY, ADMIN_KEY];

let s: Stack;
const seen: string[] = [];

async function call(path: string, init: RequestInit = {}): Promise<Response> {
  const res = await fetch(`${s.url}${path}`, init);
  const text = await res.clone().text();
  seen.push(`${res.status} ${[...res.headers].map(([k, v]) => `${k}: ${v}`).join('\n')}\n\n${text}`);
  return res;
}

const chat = (body: object) =>
  call('/v1/chat/completions', {
    method: 'POST',
    headers: { 'content-type': 'application/json', authorization: `Bearer ${CLIENT_KEY}` },
    body: JSON.stringify({ model: 'chat', messages: HELLO, ...body }),
  });

beforeAll(async () => {
  s = await startStack({
    upstreams: { primary: {}, fallback: {} },
    providerKey: CANARY,
    server: { apiKeys: [CLIENT_KEY], adminKey: ADMIN_KEY },
    breaker: { volumeThreshold: 4 },
  });
});
afterAll(() => s.close());

describe('no key ever comes back out', () => {
  it('through every response path', async () => {
    expect((await chat({})).status).toBe(200);
    expect((await chat({ stream: true })).status).toBe(200);

    // An upstream whose 400 echoes the key: passed through as is, except for the key.
    s.sims.primary!.setFaults({ always: { kind: 'status', status: 400, message: `invalid request for key ${CANARY}` } });
    const echoed = await chat({});
    expect(echoed.status).toBe(400);
    expect(await echoed.text()).toContain('[redacted]');

    // An upstream whose 401 echoes it (auth_error: falls back), then every attempt failing.
    s.sims.primary!.setFaults({ always: { kind: 'status', status: 401, message: `Incorrect API key provided: ${CANARY}` } });
    s.sims.fallback!.setFaults({ always: { kind: 'status', status: 500, message: `upstream failure near ${CANARY}` } });
    for (let i = 0; i < 4; i++) await chat({});
    expect((await chat({ stream: true })).status).toBe(503);
    expect((await chat({})).status).toBe(503);

    await call('/v1/models', { headers: { authorization: `Bearer ${CLIENT_KEY}` } });
    await call('/admin/circuits', { headers: { authorization: `Bearer ${ADMIN_KEY}` } });
    await call('/admin/circuits/primary/reset', { method: 'POST', headers: { authorization: `Bearer ${ADMIN_KEY}` } });
    await call('/admin/circuits', { headers: { authorization: 'Bearer wrong' } });
    await call('/metrics');
    await call('/readyz');

    const statuses = seen.map((t) => Number(t.slice(0, 3)));
    expect(statuses).toContain(502);
    expect(statuses).toContain(503);
    expect(statuses).toContain(401);
    for (const text of seen) for (const secret of SECRETS) expect(text).not.toContain(secret);
  });

  it('in no log line', async () => {
    const logs = s.logText();
    expect(logs).toContain('"msg":"request"');
    for (const secret of SECRETS) expect(logs).not.toContain(secret);
    expect(logs).not.toMatch(/authorization/i);
    // Prompts stay out of the logs too.
    expect(logs).not.toContain('hello');
  });

  it('nor in what the SDK raises', async () => {
    const err = await s.client(CLIENT_KEY).chat.completions.create({ model: 'chat', messages: HELLO }).catch((e: unknown) => e);
    expect(JSON.stringify(err)).not.toContain(CANARY);
    expect(String((err as Error).message)).not.toContain(CANARY);
  });
});
