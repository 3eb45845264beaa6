import OpenAI from 'openai';
import type { ChatCompletionCreateParams } from 'openai/resources/chat/completions';
import { describe, expect, it } from 'vitest';
import type { PoisonCase } from './fake-provider.js';
import { rigPerTest, user } from './harness.js';

/*
 * One tenant sends nothing but poison, as fast as it can, while six others send ordinary requests, all at
 * once through the gateway (each tenant with its own API key). Bounded in count, loopback only.
 * The others are served by the primary every time and no circuit is charged.
 */

const start = rigPerTest();
const KEYS = ['sk-tenant-poison-000', ...Array.from({ length: 6 }, (_, i) => `sk-tenant-innocent-${i}0`)];
const POISON: { poison: PoisonCase; extra?: Partial<ChatCompletionCreateParams>; stream?: boolean }[] = [
  { poison: 'length-empty' },
  { poison: 'json-cut', extra: { response_format: { type: 'json_object' } } },
  { poison: 'stop-at-once', extra: { stop: ['x'] }, stream: true },
  { poison: 'empty-normal' },
  { poison: 'truncated-stream', stream: true },
  { poison: 'flagged' },
  { poison: 'too-large' },
  { poison: 'ctx-event', stream: true },
  { poison: 'n2-one-empty', extra: { n: 2 } },
];

describe('one tenant sends poison while the others work', () => {
  it('the others are always served by the primary and no circuit is charged', async () => {
    const rig = await start({ config: { server: { host: '127.0.0.1', port: 0, apiKeys: KEYS } } });
    const client = (key: string) => new OpenAI({ baseURL: `${rig.gatewayUrl}/v1`, apiKey: key, maxRetries: 0, timeout: 10_000 });
    const served: Record<string, number> = {};
    let poisoned = 0;
    // Bounded by count, not time: the poison tenant sends every case three times, the others work meanwhile.
    const rounds = POISON.length * 3;
    const poisoning = () => poisoned < rounds;

    const poisonLoop = async () => {
      const c = client(KEYS[0]!);
      for (let i = 0; i < rounds; i++) {
        const p = POISON[i % POISON.length]!;
        const body = { model: 'chat', messages: user(`[[${p.poison}]]`), ...p.extra, ...(p.stream ? { stream: true } : {}) } as ChatCompletionCreateParams;
        try {
          const r = await c.chat.completions.create(body);
          if (Symbol.asyncIterator in (r as object)) for await (const _ of r as AsyncIterable<unknown>);
        } catch {
          // The poison tenant gets its provider's errors and 502s: that is its own business.
        }
        poisoned++;
      }
    };
    const innocentLoop = async (key: string) => {
      const c = client(key);
      for (let i = 0; poisoning() && i < 2_000; i++) {
        const stream = i % 3 === 0;
        const { response, data } = await c.chat.completions.create({ model: 'chat', messages: user('hi'), stream }).withResponse();
        if (stream) for await (const _ of data as AsyncIterable<unknown>);
        const who = response.headers.get('x-switchyard-endpoint') ?? 'none';
        served[who] = (served[who] ?? 0) + 1;
      }
    };
    await Promise.all([poisonLoop(), ...KEYS.slice(1).map(innocentLoop)]);

    expect(poisoned).toBe(rounds);
    expect(Object.keys(served)).toEqual(['primary']);
    expect(served.primary).toBeGreaterThan(rounds);
    expect(rig.router.circuits().every((c) => c.state === 'closed' && c.window.failures === 0)).toBe(true);
    expect(rig.charges.filter((c) => c.verdict === 'charged')).toEqual([]);
  }, 30_000);
});
