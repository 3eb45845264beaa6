import { describe, expect, it } from 'vitest';
import { ConfigError, parseConfig } from '../../src/config/index.js';
import { lines, minimal, problemsOf } from './helpers.js';

describe('parseConfig: valid input', () => {
  it('applies every default', () => {
    const c = parseConfig(minimal(), { env: {} });
    expect(c.breaker).toEqual({
      errorThresholdPercentage: 50,
      volumeThreshold: 5,
      rollingWindowMs: 10_000,
      rollingBuckets: 10,
      resetTimeoutMs: 30_000,
      backoffMultiplier: 2,
      maxResetTimeoutMs: 300_000,
      jitter: 0.2,
      maxRetryAfterMs: 300_000,
      quotaCooldownMs: 600_000,
    });
    expect(c.retry).toEqual({ retries: 0, baseDelayMs: 200, maxDelayMs: 2_000, on: ['server_error', 'timeout', 'connection_error'] });
    expect(c.request).toEqual({ deadlineMs: 120_000 });
    expect(c.validation).toEqual({ rejectEmpty: true, requireJsonWhenAsked: true });
    expect(c.endpoints['gpt-4o']).toEqual({ provider: 'openai', model: 'gpt-4o', timeoutMs: 30_000, streamIdleTimeoutMs: 30_000 });
    expect(c.server).toBeUndefined();
  });

  it('applies server defaults when a server section is present', () => {
    const c = parseConfig({ ...minimal(), server: {} }, { env: {} });
    expect(c.server).toEqual({ host: '127.0.0.1', port: 8080, apiKeys: [], bodyLimitBytes: 4 * 1024 * 1024, shutdownGraceMs: 15_000 });
  });

  it('routes default to none', () => {
    const { routes: _, ...noRoutes } = minimal();
    expect(parseConfig(noRoutes, { env: {} }).routes).toEqual({});
  });

  it('per-endpoint breaker and retry overrides keep only what was written, so the rest inherits', () => {
    const raw = minimal();
    raw.breaker = { errorThresholdPercentage: 30 };
    raw.endpoints['gpt-4o'].breaker = { volumeThreshold: 20, resetTimeoutMs: 5_000 };
    raw.endpoints['gpt-4o'].retry = { retries: 2, on: ['rate_limited'] };
    const c = parseConfig(raw, { env: {} });
    expect(c.endpoints['gpt-4o']!.breaker).toStrictEqual({ volumeThreshold: 20, resetTimeoutMs: 5_000 });
    expect(c.endpoints['gpt-4o']!.retry).toStrictEqual({ retries: 2, on: ['rate_limited'] });
    expect({ ...c.breaker, ...c.endpoints['gpt-4o']!.breaker }.errorThresholdPercentage).toBe(30);
    expect(c.endpoints['gpt-4o-mini']!.breaker).toBeUndefined();
  });

  it('does not mutate its input', () => {
    const raw = minimal();
    raw.providers.openai.apiKey = '${KEY}';
    const before = structuredClone(raw);
    parseConfig(raw, { env: { KEY: 'sk-k' } });
    expect(raw).toEqual(before);
  });
});

describe('parseConfig: reporting', () => {
  it('reports every problem at once: a config with 5 problems yields 5', () => {
    const raw = minimal();
    raw.providers.openai.apiKey = '${OPENAI_API_KEY}'; // 1: env
    raw.endpoints['gpt-4o'].timeoutMs = -5; // 2: schema value
    raw.endpoints['gpt-4o-mini'].provider = 'azure'; // 3: cross-reference
    raw.routes.chat.endpoints.push('claude'); // 4: cross-reference
    raw.breaker = { volumeThreshhold: 3 }; // 5: unrecognized key
    const problems = problemsOf(raw);
    expect(lines(problems)).toEqual([
      'providers.openai.apiKey: environment variable OPENAI_API_KEY is not set',
      'endpoints.gpt-4o.timeoutMs: expected a positive number',
      "breaker: unrecognized key 'volumeThreshhold' (did you mean 'volumeThreshold'?)",
      "endpoints.gpt-4o-mini.provider: unknown provider 'azure': not an id under providers",
      "routes.chat.endpoints.2: unknown endpoint 'claude': not an id under endpoints",
    ]);
  });

  it('throws a ConfigError whose message lists each problem with its path', () => {
    const raw = minimal();
    raw.endpoints['gpt-4o'].timeoutMs = 0;
    raw.server = { port: -1 };
    expect(() => parseConfig(raw, { env: {} })).toThrow(ConfigError);
    expect(() => parseConfig(raw, { env: {} })).toThrow(
      'invalid configuration:\n  server.port: expected a port number from 0 to 65535\n  endpoints.gpt-4o.timeoutMs: expected a positive number',
    );
  });

  it('never echoes a secret put in the wrong places', () => {
    const secret = 'sk-proj-Zt9x8QvL2mN4bR7wK1pJ5sD3fG6hY0uE';
    const raw = minimal();
    raw.providers.openai.baseURL = secret;
    raw.providers.openai.headers = { Authorization: 42 };
    raw.providers.openai.name = ['x'];
    raw.endpoints['gpt-4o'].provider = secret;
    raw.endpoints['gpt-4o'].timeoutMs = secret;
    raw.endpoints['gpt-4o'].retry = { on: [secret] };
    raw.routes.chat.endpoints = [secret, 'gpt-4o', secret];
    raw.server = { port: secret, apiKeys: [secret, 7], adminKey: { key: secret }, host: 12 };
    raw.breaker = { jitter: secret, errorThresholdPercentage: secret };
    raw.validation = { rejectEmpty: secret };
    raw.request = { deadlineMs: `\${DEADLINE}` };
    let message = '';
    try {
      parseConfig(raw, { env: { DEADLINE: secret } });
    } catch (e) {
      message = `${(e as Error).message}\n${JSON.stringify(e)}`;
    }
    expect(message).toContain('invalid configuration');
    expect(message.split('\n').length).toBeGreaterThan(12);
    expect(message).not.toContain(secret);
    expect(message).not.toContain('Zt9x8QvL');
  });

  it('never echoes a substituted value in a problem', () => {
    const raw = minimal();
    raw.providers.openai.baseURL = '${BASE}';
    const problems = problemsOf(raw, { BASE: 'not a url sk-hidden-value' });
    expect(lines(problems)).toEqual(['providers.openai.baseURL: expected an absolute http(s) URL']);
  });

  it('explains that a substituted value is a string, not a number', () => {
    const raw = minimal();
    raw.server = { port: '${PORT}' };
    expect(lines(problemsOf(raw, { PORT: '9000' }))).toEqual([
      'server.port: expected a port number from 0 to 65535 (a value with ${...} is always a string)',
    ]);
  });
});
