import { describe, expect, it } from 'vitest';
import { parseConfig } from '../../src/config/index.js';
import { isConfigError } from '../../src/config/index.js';
import { HELLO, stackPerTest } from './helpers.js';

/*
 * What a web page on any origin can make the gateway do (issue 18): a "simple" cross-origin request (no
 * preflight) is refused unless client keys are required, and CORS is off unless origins are configured.
 */

const start = stackPerTest();
const body = JSON.stringify({ model: 'chat', messages: HELLO });

const send = (url: string, headers: Record<string, string>, method = 'POST') =>
  fetch(`${url}/v1/chat/completions`, { method, headers, ...(method === 'POST' ? { body } : {}) });

describe('browser safety', () => {
  it('refuses what a page can send without a preflight when no client key is required, and spends nothing on it', async () => {
    const s = await start({ upstreams: { primary: {} } });
    for (const type of ['text/plain', 'text/plain;charset=UTF-8', 'application/x-www-form-urlencoded', 'multipart/form-data; boundary=x', undefined]) {
      const res = await fetch(`${s.url}/v1/chat/completions`, {
        method: 'POST',
        body: new Blob([body]),
        headers: { origin: 'https://evil.example', ...(type ? { 'content-type': type } : {}) },
      });
      expect(res.status, String(type)).toBe(415);
      expect(await res.json()).toMatchObject({ error: { type: 'invalid_request_error', code: 'unsupported_media_type' } });
      expect(res.headers.get('access-control-allow-origin')).toBeNull();
    }
    expect(s.sims.primary!.stats().requests).toBe(0);
    // JSON is served: a page cannot send it cross-origin without a preflight, which nobody answers.
    expect((await send(s.url, { 'content-type': 'application/json' })).status).toBe(200);
    expect((await send(s.url, { 'content-type': 'application/vnd.api+json; charset=utf-8' })).status).toBe(200);
    const preflight = await send(s.url, { origin: 'https://evil.example', 'access-control-request-method': 'POST', 'access-control-request-headers': 'content-type' }, 'OPTIONS');
    expect(preflight.headers.get('access-control-allow-origin')).toBeNull();
    expect(preflight.headers.get('access-control-allow-methods')).toBeNull();
  });

  it('serves any content type when client keys are required (a page cannot send Authorization without a preflight)', async () => {
    const s = await start({ upstreams: { primary: {} }, server: { apiKeys: ['client-key-0123456789'] } });
    const ok = await send(s.url, { 'content-type': 'text/plain', authorization: 'Bearer client-key-0123456789' });
    expect(ok.status).toBe(200);
    expect((await send(s.url, { 'content-type': 'text/plain' })).status).toBe(401);
  });

  it('answers the preflight of a configured origin and only that one, and lets its page read the answer', async () => {
    const s = await start({ upstreams: { primary: {} }, server: { cors: { origins: ['https://app.example.com'] } } });
    const preflight = await send(
      s.url,
      { origin: 'https://app.example.com', 'access-control-request-method': 'POST', 'access-control-request-headers': 'content-type, authorization, x-stainless-os' },
      'OPTIONS',
    );
    expect(preflight.status).toBe(204);
    expect(preflight.headers.get('access-control-allow-origin')).toBe('https://app.example.com');
    expect(preflight.headers.get('access-control-allow-methods')).toBe('GET, POST');
    expect(preflight.headers.get('access-control-allow-headers')).toBe('content-type, authorization, x-stainless-os');
    const answer = await send(s.url, { origin: 'https://app.example.com', 'content-type': 'application/json' });
    expect(answer.status).toBe(200);
    expect(answer.headers.get('access-control-allow-origin')).toBe('https://app.example.com');
    expect(answer.headers.get('access-control-expose-headers')).toContain('x-switchyard-endpoint');
    expect(answer.headers.get('vary')).toMatch(/origin/i);

    const other = await send(s.url, { origin: 'https://evil.example', 'access-control-request-method': 'POST' }, 'OPTIONS');
    expect(other.headers.get('access-control-allow-origin')).toBeNull();
    const models = await fetch(`${s.url}/v1/models`, { headers: { origin: 'https://evil.example' } });
    expect(models.headers.get('access-control-allow-origin')).toBeNull();
    // A simple request from the allowed origin is still refused: CORS lets a page read, not skip the JSON rule.
    expect((await send(s.url, { origin: 'https://app.example.com', 'content-type': 'text/plain' })).status).toBe(415);
  });

  it('validates server.cors.origins with its path', () => {
    const base = { providers: { p: { baseURL: 'http://127.0.0.1:1/v1' } }, endpoints: { e: { provider: 'p', model: 'm' } } };
    let problems: string[] = [];
    try {
      parseConfig({ ...base, server: { cors: { origins: ['https://ok.example', 'https://app.example.com/', 'ftp://x.example', 'not a url'] } } }, { env: {} });
    } catch (e) {
      if (!isConfigError(e)) throw e;
      problems = e.problems.map((p) => `${p.path}: ${p.message}`);
    }
    expect(problems.map((p) => p.split(':')[0])).toEqual(['server.cors.origins.1', 'server.cors.origins.2', 'server.cors.origins.3']);
    expect(problems[0]).toContain('expected an origin such as https://app.example.com');
    expect(() => parseConfig({ ...base, server: { cors: { origins: ['*', 'http://localhost:3000'] } } }, { env: {} })).not.toThrow();
  });
});

describe('numbers JSON cannot carry', () => {
  it('answers 400 for max_tokens: 1e400 (and any non-finite number) instead of forwarding null', async () => {
    const s = await start({ upstreams: { primary: {} } });
    for (const text of [
      '{"model":"chat","messages":[{"role":"user","content":"hi"}],"max_tokens":1e400}',
      '{"model":"chat","messages":[{"role":"user","content":"hi"}],"logit_bias":{"50256":-1E+999}}',
      `{"model":"chat","messages":[{"role":"user","content":"hi"}],"temperature":1${'0'.repeat(320)}}`,
    ]) {
      const res = await fetch(`${s.url}/v1/chat/completions`, { method: 'POST', body: text, headers: { 'content-type': 'application/json' } });
      expect(res.status).toBe(400);
      const err = (await res.json()) as { error: { type: string; code: string; param: string } };
      expect(err.error).toMatchObject({ type: 'invalid_request_error', code: 'invalid_value' });
      expect(['max_tokens', 'logit_bias', 'temperature']).toContain(err.error.param);
    }
    expect(s.sims.primary!.stats().requests).toBe(0);
    // Large but finite numbers, and the same text inside a string, are the provider's to judge.
    const fine = '{"model":"chat","messages":[{"role":"user","content":"1e400"}],"max_tokens":1e3,"seed":1e300}';
    expect((await fetch(`${s.url}/v1/chat/completions`, { method: 'POST', body: fine, headers: { 'content-type': 'application/json' } })).status).toBe(200);
  });
});
