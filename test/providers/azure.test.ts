import { afterEach, describe, expect, it } from 'vitest';
import type { ChatCompletion, ChatCompletionChunk } from 'openai/resources/chat/completions';
import { collect, providerRig, type ProviderRig } from './rig.js';

let r: ProviderRig | undefined;
afterEach(async () => {
  await r?.close();
  r = undefined;
});

const ask = { model: 'chat', messages: [{ role: 'user' as const, content: 'hello azure' }] };

/*
 * The simulator answers Azure's paths only as Azure does: classic needs ?api-version= (404 without), v1 refuses
 * one (400), both refuse a Bearer Authorization (401) and check `api-key`. A success proves all of it.
 */
describe.each(['native', 'sdk'] as const)('azure over real HTTP, %s transport', (transport) => {
  it.each(['azure', 'azure-v1'] as const)('%s: path, api-version and api-key as Azure takes them, plain and streamed', async (type) => {
    r = await providerRig(type, { model: 'my-gpt4o-deployment', transport });
    const res = (await r.router.dispatch(ask)).response as ChatCompletion;
    expect(res.choices[0]!.message.content).toContain('hello azure');
    const out = await collect((await r.router.dispatch({ ...ask, stream: true })).response as AsyncIterable<ChatCompletionChunk>);
    expect(out.error).toBeUndefined();
    expect(out.text).toContain('hello azure');
    expect(r.attempts).toEqual([
      { endpoint: 'native', outcome: 'success' },
      { endpoint: 'native', outcome: 'success' },
    ]);
    expect(r.fallback.stats().requests).toBe(0);
  });

  it('a wrong api-key is auth_error and falls back', async () => {
    r = await providerRig('azure', { transport });
    r.sim.setFaults({ requireApiKey: 'some-other-azure-key' });
    const res = (await r.router.dispatch(ask)).response as ChatCompletion;
    expect(res.model).toBe('gpt-4o-mini');
    expect(r.attempts[0]).toMatchObject({ endpoint: 'native', outcome: 'auth_error' });
  });
});

describe('azure: x-ms-retry-after-ms', () => {
  it('a 429 keeps the endpoint off for the window Azure asked (read from retry-after)', async () => {
    r = await providerRig('azure', { faults: { always: { kind: 'status', status: 429 }, retryAfterSeconds: 30 } });
    await r.router.dispatch(ask);
    await r.router.dispatch(ask);
    expect(r.sim.stats().requests).toBe(1);
  });
});

describe('azure: the other operations', () => {
  it('v1: embeddings go to /openai/v1/embeddings with api-key (no Bearer)', async () => {
    r = await providerRig('azure-v1', { model: 'my-embedding-deployment' });
    const routed = await r.router.dispatchEmbeddings({ model: 'chat', input: ['a', 'b'] });
    expect(routed.endpoint).toBe('native');
    expect(routed.response.data).toHaveLength(2);
  });

  it('classic deployments serve chat only: an embeddings request skips them', async () => {
    r = await providerRig('azure', { model: 'my-deployment' });
    const routed = await r.router.dispatchEmbeddings({ model: 'chat', input: ['a'] });
    expect(routed.endpoint).toBe('fallback');
    expect(r.sim.stats().requests).toBe(0);
  });
});
