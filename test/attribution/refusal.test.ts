import { afterEach, describe, expect, it } from 'vitest';
import type { ChatCompletion, ChatCompletionChunk } from 'openai/resources/chat/completions';
import { isRouteUnavailableError, isUpstreamClientError } from '../../src/index.js';
import { collect, providerRig, type ProviderRig } from '../providers/rig.js';

/*
 * A codec's refusal (`n` > 1 to Anthropic, `logprobs` to Gemini) is decided by the request against the
 * endpoint's provider type, never by the endpoint's health: no number of callers asking for it may open the
 * circuit. Before this, a refusal was an unclear attempt charged on evidence once per caller per window, so
 * enough distinct callers opened a healthy Claude for everyone.
 */

let r: ProviderRig | undefined;
afterEach(async () => {
  await r?.close();
  r = undefined;
});

const ask = { model: 'chat', messages: [{ role: 'user' as const, content: 'hello' }] };
const charges = (rig: ProviderRig) => {
  const seen: { endpoint: string; verdict: string; reason: string }[] = [];
  rig.router.events.on('charge', (endpoint, verdict, reason) => seen.push({ endpoint, verdict, reason }));
  return seen;
};

describe('a parameter a native provider cannot take', () => {
  for (const [type, refused] of [
    ['anthropic', { n: 2 }],
    ['gemini', { logprobs: true }],
  ] as const) {
    it(`${type}: 40 distinct callers asking for ${Object.keys(refused)[0]} never charge it; everyone else is still served by it`, async () => {
      r = await providerRig(type);
      const seen = charges(r);
      for (let i = 0; i < 40; i++) {
        const plain = (await r.router.dispatch({ ...ask, ...refused } as never, { caller: `tenant-${i}` })).response as ChatCompletion;
        expect(plain.model).toBe('gpt-4o-mini');
        const streamed = await collect((await r.router.dispatch({ ...ask, ...refused, stream: true } as never, { caller: `tenant-${i}` })).response as unknown as AsyncIterable<ChatCompletionChunk>);
        expect(streamed.error).toBeUndefined();
        expect(streamed.model).toBe('gpt-4o-mini');
      }
      expect(r.sim.stats().requests).toBe(0);
      expect(seen.filter((c) => c.endpoint === 'native')).toEqual([]);
      const native = r.router.circuits().find((c) => c.endpoint === 'native')!;
      expect(native.state).toBe('closed');
      expect(native.window.failures).toBe(0);
      expect(r.skips.filter((s) => s.endpoint === 'native')).toHaveLength(80);
      expect(r.skips.every((s) => s.reason === 'unsupported')).toBe(true);
      // The innocent request still goes to the native endpoint first.
      const innocent = (await r.router.dispatch(ask as never, { caller: 'innocent' })).response as ChatCompletion;
      expect(innocent.model).not.toBe('gpt-4o-mini');
    });
  }

  it('refused by one endpoint while the other is open: unavailable (503 with a retry time), not a 400', async () => {
    r = await providerRig('anthropic', { fallback: { always: { kind: 'status', status: 500 } }, config: { breaker: { volumeThreshold: 1, errorThresholdPercentage: 50, resetTimeoutMs: 60_000, jitter: 0 } } });
    // Open the fallback: one request the native endpoint refuses, which the fallback fails.
    const first = await r.router.dispatch({ ...ask, n: 2 } as never).catch((e: unknown) => e);
    expect(r.router.circuits().find((c) => c.endpoint === 'fallback')!.state).toBe('open');
    expect(first).toMatchObject({ name: 'AllAttemptsFailedError' });
    // Now nobody can serve n=2 right now, but once the fallback is back it could: unavailable, with a retry time.
    const second = await r.router.dispatch({ ...ask, n: 2 } as never).catch((e: unknown) => e);
    expect(isRouteUnavailableError(second)).toBe(true);
    expect(isUpstreamClientError(second)).toBe(false);
    expect(r.router.circuits().find((c) => c.endpoint === 'native')!.window.failures).toBe(0);
  });
});
