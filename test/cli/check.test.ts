import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { main } from '../../src/cli/main.js';
import { spawnCli } from '../gateway/spawn.js';
import { captureIo } from './io.js';

const dir = mkdtempSync(join(tmpdir(), 'switchyard-check-'));
const file = (name: string, text: string) => {
  const p = join(dir, name);
  writeFileSync(p, text);
  return p;
};

const VALID = `
providers:
  openai: { baseURL: https://api.openai.com/v1, apiKey: sk-canary-valid-0123456789 }
endpoints:
  gpt-4o: { provider: openai, model: gpt-4o }
  gpt-4o-mini: { provider: openai, model: gpt-4o-mini }
routes:
  chat: { endpoints: [gpt-4o, gpt-4o-mini] }
`;

// Three mistakes at once, and a key that must not be echoed.
const INVALID = `
providers:
  openai: { baseURL: not-a-url, apiKey: sk-canary-invalid-0123456789 }
endpoints:
  gpt-4o: { provider: openai, model: gpt-4o, timeoutMs: -5 }
routes:
  chat: { endpoints: [gpt-4o, missing-endpoint] }
`;

describe('switchyard check', () => {
  it('exit 0 for a valid file, with a summary', async () => {
    const io = captureIo();
    expect(await main(['check', file('ok.yaml', VALID)], io)).toBe(0);
    expect(io.stdout()).toContain('ok (1 provider, 2 endpoints, 1 route)');
    expect(io.stdout()).not.toContain('sk-canary');
  });

  it('exit 2 listing every problem with its path, never a value', async () => {
    const io = captureIo();
    expect(await main(['check', file('bad.yaml', INVALID)], io)).toBe(2);
    const text = io.stderr();
    expect(text).toMatch(/providers\.openai\.baseURL: /);
    expect(text).toMatch(/endpoints\.gpt-4o\.timeoutMs: expected a positive number/);
    expect(text).toMatch(/routes\.chat\.endpoints\.1: /);
    expect(text).not.toContain('sk-canary');
    expect(text).not.toContain('not-a-url');
  });

  it('exit 2 for a missing file, a YAML syntax error and a missing ${VAR}', async () => {
    for (const [path, expected] of [
      [join(dir, 'nope.yaml'), /file not found/],
      [file('syntax.yaml', 'providers: [\n'), /syntax error/],
      [file('env.yaml', VALID.replace('sk-canary-valid-0123456789', '"${SWITCHYARD_TEST_UNSET_VAR}"')), /SWITCHYARD_TEST_UNSET_VAR/],
    ] as const) {
      const io = captureIo();
      expect(await main(['check', path], io)).toBe(2);
      expect(io.stderr()).toMatch(expected);
    }
  });

  it('exit 2 for keys too short to be scrubbed, each with its path and never its value', async () => {
    const SHORT = `
server: { apiKeys: [ok-client-key-0123, "c1"], adminKey: "a1b" }
providers:
  openai: { baseURL: https://api.openai.com/v1, apiKey: "k9" }
endpoints:
  gpt-4o: { provider: openai, model: gpt-4o }
`;
    const io = captureIo();
    expect(await main(['check', file('short.yaml', SHORT)], io)).toBe(2);
    const text = io.stderr();
    for (const path of ['server.apiKeys.1', 'server.adminKey', 'providers.openai.apiKey']) {
      expect(text).toMatch(new RegExp(`${path.replace(/\./g, '\\.')}: a key shorter than 4 characters cannot be kept out of logs and answers`));
    }
    expect(text).not.toContain('server.apiKeys.0');
    for (const value of ['"c1"', 'a1b', 'k9']) expect(text).not.toContain(value);
  });

  it('exit 2 with usage when FILE is missing', async () => {
    const io = captureIo();
    expect(await main(['check'], io)).toBe(2);
    expect(io.stderr()).toContain('Usage: switchyard check FILE');
  });

  it('as a process: the exit status is what scripts see', async () => {
    const ok = spawnCli(['check', file('ok2.yaml', VALID)]);
    expect(await ok.exited).toBe(0);
    const bad = spawnCli(['check', file('bad2.yaml', INVALID)]);
    expect(await bad.exited).toBe(2);
    expect(bad.stderr()).toMatch(/endpoints\.gpt-4o\.timeoutMs/);
    expect(bad.stderr() + bad.stdout()).not.toContain('sk-canary');
  }, 60_000);
});
