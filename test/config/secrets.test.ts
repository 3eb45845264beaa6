import { describe, expect, it } from 'vitest';
import { configuredSecrets, createScrubber } from '../../src/config/secrets.js';
import { parseConfig } from '../../src/config/index.js';

describe('createScrubber', () => {
  it('replaces every configured secret, longest first, so a key holding another is not half-replaced', () => {
    const scrub = createScrubber(['sk-1', 'sk-2', 'sk-1-long']);
    expect(scrub('key sk-1 and sk-1-long and sk-2')).toBe('key [redacted] and [redacted] and [redacted]');
  });

  it('leaves secrets under 4 characters alone: they would mangle ordinary text', () => {
    expect(createScrubber(['sk-abc', 'x'])('k=sk-abc, x')).toBe('k=[redacted], x');
  });

  it('scrubs a key as JSON escapes it, when it holds a quote, a backslash or a control character', () => {
    const key = 'sk-a"b\\c\td';
    const scrub = createScrubber([key]);
    const echoed = JSON.stringify({ error: { message: `bad key ${key}` } });
    expect(echoed).not.toContain(key);
    expect(scrub(echoed)).toBe('{"error":{"message":"bad key [redacted]"}}');
    expect(scrub(`raw ${key}`)).toBe('raw [redacted]');
  });
});

describe('configuredSecrets', () => {
  it('collects provider keys, credential-length provider headers, client keys and the admin key', () => {
    const cfg = parseConfig({
      server: { apiKeys: ['client-key-1'], adminKey: 'admin-key-1' },
      providers: { p: { baseURL: 'https://example.com/v1', apiKey: 'sk-provider', headers: { 'api-key': 'header-secret', 'x-team': 'blue' } } },
      endpoints: { e: { provider: 'p', model: 'm' } },
      routes: { chat: { endpoints: ['e'] } },
    });
    expect(configuredSecrets(cfg).sort()).toEqual(['admin-key-1', 'client-key-1', 'header-secret', 'sk-provider']);
  });
});

describe('configuredSecrets: headers by name (issue 20)', () => {
  it('takes the values of credential headers only, however long the others are', () => {
    const cfg = parseConfig({
      providers: {
        a: {
          type: 'anthropic',
          headers: { 'x-api-key': 'anthropic-key-1', 'anthropic-version': '2023-06-01', 'user-agent': 'switchyard-tests/1.0' },
        },
        g: { type: 'gemini', headers: { 'x-goog-api-key': 'gemini-key-1', Authorization: 'Bearer bearer-1', 'x-custom-token': 'tok-123456' } },
      },
      endpoints: { e: { provider: 'a', model: 'm' } },
    });
    expect(configuredSecrets(cfg).sort()).toEqual(['Bearer bearer-1', 'anthropic-key-1', 'gemini-key-1', 'tok-123456']);
    const scrub = createScrubber(configuredSecrets(cfg));
    expect(scrub('anthropic-version 2023-06-01 is not supported')).toBe('anthropic-version 2023-06-01 is not supported');
  });
});
