import { describe, expect, it } from 'vitest';
import { parseConfig } from '../../src/config/index.js';
import { buildEndpoints } from '../../src/endpoint/endpoint.js';
import { lines, problemsOf } from './helpers.js';

const withProviders = (providers: Record<string, unknown>) => ({
  providers,
  endpoints: Object.fromEntries(Object.keys(providers).map((id) => [`e-${id}`, { provider: id, model: 'm' }])),
});

describe('provider types (issue 20)', () => {
  it('defaults baseURL and gen_ai.provider.name per type', () => {
    const cfg = parseConfig(
      withProviders({
        o: { baseURL: 'https://api.openai.com/v1', apiKey: 'sk-openai-1' },
        a: { type: 'anthropic', apiKey: 'sk-ant-1' },
        g: { type: 'gemini', apiKey: 'gem-key-1' },
        z: { type: 'azure', baseURL: 'https://res.openai.azure.com', apiKey: 'az-key-1', apiVersion: '2024-10-21' },
      }),
    );
    expect(cfg.providers.o!.type).toBeUndefined();
    expect(cfg.providers.o!.baseURL).toBe('https://api.openai.com/v1');
    expect(cfg.providers.a!.baseURL).toBe('https://api.anthropic.com/v1');
    expect(cfg.providers.g!.baseURL).toBe('https://generativelanguage.googleapis.com/v1beta');
    const endpoints = buildEndpoints(cfg);
    try {
      expect([...endpoints.values()].map((e) => [e.spec.id, e.spec.providerName, e.spec.serverAddress])).toEqual([
        ['e-o', 'openai', 'api.openai.com'],
        ['e-a', 'anthropic', 'api.anthropic.com'],
        ['e-g', 'gcp.gemini', 'generativelanguage.googleapis.com'],
        ['e-z', 'azure.ai.openai', 'res.openai.azure.com'],
      ]);
    } finally {
      for (const e of endpoints.values()) e.close();
    }
  });

  it('reports every provider problem with its path', () => {
    const problems = problemsOf(
      withProviders({
        z1: { type: 'azure', apiKey: 'az-key-1' },
        z2: { type: 'azure', baseURL: 'https://res.openai.azure.com/openai?api-version=2024-10-21' },
        a: { type: 'anthropic', apiVersion: '2024-10-21', transport: 'sdk' },
        x: { type: 'bedrock', baseURL: 'https://example.com' },
        v: { type: 'azure', baseURL: 'https://res.openai.azure.com', apiVersion: 'bad version!' },
        q: { baseURL: 'https://proxy.example.com/v1?tenant=a' },
      }),
    );
    expect(lines(problems)).toEqual([
      'providers.z1.baseURL: an azure provider needs its resource URL, e.g. https://my-resource.openai.azure.com',
      'providers.z2.baseURL: an azure baseURL takes no query string: set apiVersion instead of ?api-version=',
      'providers.a.apiVersion: apiVersion is for type azure only',
      "providers.a.transport: an anthropic provider speaks its own API through its codec: transport 'sdk' is for openai and azure",
      "providers.x.type: expected 'openai', 'anthropic', 'gemini' or 'azure'",
      'providers.v.apiVersion: expected an API version such as 2024-10-21',
      'providers.q.baseURL: a baseURL takes no query string or fragment: each call appends its path to it',
    ]);
  });
});

describe('operations of the other wire formats', () => {
  it('anthropic, gemini and classic azure endpoints serve chat only: other operations are a config problem', () => {
    const problems = problemsOf({
      providers: {
        a: { type: 'anthropic' },
        z: { type: 'azure', baseURL: 'https://res.openai.azure.com', apiVersion: '2024-10-21' },
        v1: { type: 'azure', baseURL: 'https://res.openai.azure.com' },
      },
      endpoints: {
        ea: { provider: 'a', model: 'm', operations: ['chat', 'embeddings'] },
        ez: { provider: 'z', model: 'm', operations: ['responses'] },
        ev: { provider: 'v1', model: 'm', operations: ['embeddings'] },
      },
    });
    expect(lines(problems)).toEqual(['endpoints.ea.operations: an anthropic endpoint serves chat only', 'endpoints.ez.operations: a classic azure (apiVersion) endpoint serves chat only']);
  });
});

describe('examples/cross-provider.yaml', () => {
  it('parses with the three keys set, each provider typed and defaulted', async () => {
    const { loadConfigFile } = await import('../../src/config/index.js');
    const file = new URL('../../examples/cross-provider.yaml', import.meta.url).pathname;
    const c = await loadConfigFile(file, { env: { OPENAI_API_KEY: 'sk-example-1', ANTHROPIC_API_KEY: 'sk-ant-example', GEMINI_API_KEY: 'gem-example' } });
    expect(c.routes.chat!.endpoints).toEqual(['gpt-4o', 'claude', 'gemini']);
    expect(c.providers.anthropic).toMatchObject({ type: 'anthropic', baseURL: 'https://api.anthropic.com/v1' });
    expect(c.providers.google).toMatchObject({ type: 'gemini', baseURL: 'https://generativelanguage.googleapis.com/v1beta' });
    expect(c.breaker.quotaCooldownMs).toBe(600_000);
  });
});
