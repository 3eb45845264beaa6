import { describe, expect, it } from 'vitest';
import { parseConfig } from '../../src/config/index.js';
import { endpointOperations } from '../../src/endpoint/operation-client.js';
import { lines, minimal, problemsOf } from './helpers.js';

describe('endpoints.<id>.operations', () => {
  it('defaults to every operation for an openai provider, and keeps what an endpoint declares', () => {
    const raw = minimal();
    raw.endpoints['gpt-4o-mini'].operations = ['embeddings'];
    const ops = endpointOperations(parseConfig(raw, { env: {} }));
    expect([...ops.get('gpt-4o')!]).toEqual(['chat', 'embeddings', 'responses']);
    expect([...ops.get('gpt-4o-mini')!]).toEqual(['embeddings']);
  });

  it('defaults to chat alone for a provider of another API type', () => {
    const cfg = parseConfig(minimal(), { env: {} });
    (cfg.providers.openai as { type?: string }).type = 'anthropic';
    expect([...endpointOperations(cfg).get('gpt-4o')!]).toEqual(['chat']);
  });

  it('lists every bad value with its path', () => {
    const raw = minimal();
    raw.endpoints['gpt-4o'].operations = ['chat', 'images'];
    raw.endpoints['gpt-4o-mini'].operations = [];
    raw.server = { shouldRetryHeader: 'yes' };
    expect(lines(problemsOf(raw))).toEqual([
      "server.shouldRetryHeader: expected true or false",
      "endpoints.gpt-4o.operations.1: expected 'chat', 'embeddings' or 'responses'",
      'endpoints.gpt-4o-mini.operations: an endpoint must serve at least one operation',
    ]);
    raw.endpoints['gpt-4o'].operations = ['chat', 'chat'];
    expect(lines(problemsOf({ ...raw, server: {} })).filter((l) => l.includes('once'))).toEqual(['endpoints.gpt-4o.operations: each operation may be listed once']);
  });
});
