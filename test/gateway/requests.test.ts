import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { HELLO, onTheWire, post, startStack, type Stack } from './helpers.js';

/*
 * Every 4xx the gateway produces itself, and client auth. One stack for all: none of these reach a
 * circuit, and the test at the end checks that nothing reached the upstream at all.
 */

const CLIENT_KEY = 'client-key-0123456789';
let s: Stack;
let chat: string;
beforeAll(async () => {
  s = await startStack({ upstreams: { primary: {} }, server: { apiKeys: ['other-client-key', CLIENT_KEY], bodyLimitBytes: 2048 } });
  chat = `${s.url}/v1/chat/completions`;
});
afterAll(() => s.close());

const auth = { authorization: `Bearer ${CLIENT_KEY}` };

type ErrorJson = { error: { message: string; type: string; code: string | null; param?: string } };

async function expectError(res: Response, status: number, code: string, type = 'invalid_request_error'): Promise<ErrorJson> {
  expect(res.status).toBe(status);
  expect(res.headers.get('content-type')).toMatch(/^application\/json/);
  const body = (await res.json()) as ErrorJson;
  expect(body.error).toMatchObject({ code, type });
  expect(typeof body.error.message).toBe('string');
  // Every field OpenAI sends, in its order: `param` is null when no one parameter is at fault.
  expect(Object.keys(body.error).slice(0, 4)).toEqual(['message', 'type', 'param', 'code']);
  return body;
}

describe('client auth', () => {
  it('401 without a key, with a wrong key, and with a malformed header', async () => {
    const body = JSON.stringify({ model: 'chat', messages: HELLO });
    const missing = await post(chat, body);
    await expectError(missing, 401, 'invalid_api_key', 'authentication_error');
    expect(missing.headers.get('www-authenticate')).toBe('Bearer');
    await expectError(await post(chat, body, { authorization: 'Bearer nope' }), 401, 'invalid_api_key', 'authentication_error');
    await expectError(await post(chat, body, { authorization: CLIENT_KEY }), 401, 'invalid_api_key', 'authentication_error');
    await expectError(await fetch(`${s.url}/v1/models`), 401, 'invalid_api_key', 'authentication_error');
  });

  it('401 for several Authorization headers, whichever comes first', async () => {
    const body = JSON.stringify({ model: 'chat', messages: HELLO });
    for (const keys of [[CLIENT_KEY, 'wrong'], ['wrong', CLIENT_KEY], [CLIENT_KEY, CLIENT_KEY]]) {
      // fetch would join them into one header; on the wire they stay apart.
      const answer = await onTheWire(
        s.url,
        `POST /v1/chat/completions HTTP/1.1\r\nhost: x\r\nconnection: close\r\n${keys.map((k) => `authorization: Bearer ${k}\r\n`).join('')}` +
          `content-length: ${body.length}\r\n\r\n${body}`,
      );
      expect(answer, keys.join(',')).toMatch(/^HTTP\/1.1 401 [^]*"code":"invalid_api_key"/);
    }
  });

  it('the openai SDK with the right key (any of the configured ones) gets through', async () => {
    const r = await s.client(CLIENT_KEY).chat.completions.create({ model: 'chat', messages: HELLO });
    expect(r.choices[0]!.message.content).toBeTruthy();
    const models = await s.client('other-client-key').models.list();
    expect(models.data.map((m) => m.id)).toContain('chat');
  });

  it('the SDK raises AuthenticationError with a wrong key', async () => {
    const err = await s.client('wrong').chat.completions.create({ model: 'chat', messages: HELLO }).catch((e: unknown) => e);
    expect((err as { constructor: { name: string } }).constructor.name).toBe('AuthenticationError');
  });

  it('leaves health, readiness and metrics open', async () => {
    expect((await fetch(`${s.url}/healthz`)).status).toBe(200);
    expect((await fetch(`${s.url}/readyz`)).status).toBe(200);
    expect((await fetch(`${s.url}/metrics`)).status).toBe(200);
  });
});

describe('methods a path does not serve', () => {
  const expect405 = async (res: Response, allow: string) => {
    const body = await expectError(res, 405, 'method_not_allowed');
    expect(res.headers.get('allow')).toBe(allow);
    return body;
  };

  it('405 with Allow on every path the gateway serves, OPTIONS included', async () => {
    for (const method of ['GET', 'PUT', 'DELETE', 'OPTIONS']) {
      await expect405(await fetch(chat, { method, headers: auth }), 'POST');
    }
    await expect405(await fetch(`${chat}/`, { method: 'PATCH', headers: auth }), 'POST');
    await expect405(await post(`${s.url}/v1/models`, '{}', auth), 'GET, HEAD');
    await expect405(await fetch(`${s.url}/v1/models/chat`, { method: 'OPTIONS', headers: auth }), 'GET, HEAD');
    for (const path of ['/healthz', '/readyz', '/metrics', '/admin/circuits', '/admin/circuits/primary']) {
      await expect405(await fetch(`${s.url}${path}`, { method: 'OPTIONS' }), 'GET, HEAD');
      await expect405(await post(`${s.url}${path}`, '{}'), 'GET, HEAD');
    }
    await expect405(await fetch(`${s.url}/admin/circuits/primary/open`, { method: 'OPTIONS' }), 'POST');
    const head = await fetch(chat, { method: 'HEAD', headers: auth });
    expect([head.status, head.headers.get('allow')]).toEqual([405, 'POST']);
  });

  it('HEAD is served wherever GET is', async () => {
    for (const path of ['/healthz', '/readyz', '/metrics']) expect((await fetch(`${s.url}${path}`, { method: 'HEAD' })).status).toBe(200);
    expect((await fetch(`${s.url}/v1/models`, { method: 'HEAD', headers: auth })).status).toBe(200);
  });

  it('the client key is checked first on /v1/*', async () => {
    await expectError(await fetch(chat, { method: 'OPTIONS' }), 401, 'invalid_api_key', 'authentication_error');
    await expectError(await fetch(`${s.url}/v1/models`, { method: 'OPTIONS' }), 401, 'invalid_api_key', 'authentication_error');
  });
});

describe('bad requests', () => {
  it('400 for a body that is not JSON', async () => {
    await expectError(await post(chat, '{"model": "chat", "messages": [', auth), 400, 'invalid_json');
  });

  it('400 for a body that is not an object', async () => {
    await expectError(await post(chat, '[1,2]', auth), 400, 'invalid_request');
    await expectError(await post(chat, '', auth), 400, 'missing_required_parameter');
  });

  it('400 naming the missing field', async () => {
    const noModel = await expectError(await post(chat, JSON.stringify({ messages: HELLO }), auth), 400, 'missing_required_parameter');
    expect(noModel.error.param).toBe('model');
    const noMessages = await expectError(await post(chat, JSON.stringify({ model: 'chat' }), auth), 400, 'missing_required_parameter');
    expect(noMessages.error.param).toBe('messages');
    await expectError(await post(chat, JSON.stringify({ model: 'chat', messages: [] }), auth), 400, 'invalid_value');
    await expectError(await post(chat, JSON.stringify({ model: 'chat', messages: HELLO, stream: 'yes' }), auth), 400, 'invalid_type');
  });

  it('the SDK surfaces a 400 as BadRequestError', async () => {
    const err = await s
      .client(CLIENT_KEY)
      // @ts-expect-error: messages left out on purpose
      .chat.completions.create({ model: 'chat' })
      .catch((e: unknown) => e);
    expect(err).toMatchObject({ status: 400, code: 'missing_required_parameter', param: 'messages' });
  });

  it('404 for an unknown route, with the model named', async () => {
    const body = await expectError(await post(chat, JSON.stringify({ model: 'gpt-9', messages: HELLO }), auth), 404, 'unknown_route');
    expect(body.error.message).toContain('gpt-9');
    expect(body.error.param).toBe('model');
    const err = await s.client(CLIENT_KEY).chat.completions.create({ model: 'nope', messages: HELLO }).catch((e: unknown) => e);
    expect((err as { constructor: { name: string } }).constructor.name).toBe('NotFoundError');
  });

  it('413 for a body over the limit', async () => {
    const big = JSON.stringify({ model: 'chat', messages: [{ role: 'user', content: 'x'.repeat(4096) }] });
    await expectError(await post(chat, big, auth), 413, 'request_too_large');
  });

  it('404 in the OpenAI shape for an unknown path', async () => {
    await expectError(await fetch(`${s.url}/v1/nothing-here`, { headers: auth }), 404, 'not_found');
    await expectError(await fetch(`${s.url}/nope`), 404, 'not_found');
  });

  it('400, not a 500 logged as a bug, for a path parameter that is not valid percent-encoding', async () => {
    const model = await expectError(await fetch(`${s.url}/v1/models/%zz`, { headers: auth }), 400, 'invalid_request');
    expect(model.error.message).not.toContain('%zz');
    await expectError(await fetch(`${s.url}/admin/circuits/%E0%A4%A`), 400, 'invalid_request');
    expect(s.logs.filter((l) => l.level === 50)).toEqual([]);
  });

  it('accepts a JSON body sent without a JSON content type (curl -d)', async () => {
    const res = await fetch(chat, {
      method: 'POST',
      body: JSON.stringify({ model: 'chat', messages: HELLO }),
      headers: { ...auth, 'content-type': 'application/x-www-form-urlencoded' },
    });
    expect(res.status).toBe(200);
  });

  it('logs the rejected requests as client_error and sends none upstream', async () => {
    const rejected = s.logs.filter((l) => l.msg === 'request' && l.path === '/v1/chat/completions' && l.status !== 200);
    expect(rejected.length).toBeGreaterThan(5);
    expect(rejected.every((l) => l.outcome === 'client_error')).toBe(true);
    // Only the successful SDK calls and the curl-style one reached the upstream.
    expect(s.sims.primary!.stats().requests).toBe(2);
  });
});
