import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { main } from '../../src/cli/main.js';
import { captureIo } from './io.js';

const dir = mkdtempSync(join(tmpdir(), 'switchyard-check-providers-'));

describe('switchyard check: provider types (issue 20)', () => {
  it('exit 2 for an azure baseURL carrying ?api-version= (was accepted, then silently broken)', async () => {
    const p = join(dir, 'azure.yaml');
    writeFileSync(
      p,
      `
providers:
  azure: { type: azure, baseURL: "https://res.openai.azure.com/openai/deployments/gpt4o?api-version=2024-10-21", apiKey: az-canary-key-0123456789 }
endpoints:
  a: { provider: azure, model: gpt4o }
routes:
  chat: { endpoints: [a] }
`,
    );
    const io = captureIo();
    expect(await main(['check', p], io)).toBe(2);
    expect(io.stderr()).toContain('providers.azure.baseURL: an azure baseURL takes no query string: set apiVersion instead of ?api-version=');
    expect(io.stderr()).not.toContain('az-canary');
  });

  it('exit 0 for the cross-provider chain with defaulted baseURLs', async () => {
    const p = join(dir, 'chain.yaml');
    writeFileSync(
      p,
      `
providers:
  openai: { baseURL: https://api.openai.com/v1, apiKey: sk-canary-openai-0123 }
  anthropic: { type: anthropic, apiKey: sk-ant-canary-0123 }
  google: { type: gemini, apiKey: gem-canary-0123 }
endpoints:
  gpt-4o: { provider: openai, model: gpt-4o }
  claude: { provider: anthropic, model: claude-3-5-haiku-20241022 }
  gemini: { provider: google, model: gemini-2.0-flash }
routes:
  chat: { endpoints: [gpt-4o, claude, gemini] }
`,
    );
    const io = captureIo();
    expect(await main(['check', p], io)).toBe(0);
    expect(io.stdout()).toContain('ok (3 providers, 3 endpoints, 1 route)');
  });
});
