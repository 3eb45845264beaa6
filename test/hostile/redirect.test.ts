import { afterEach, describe, expect, it } from 'vitest';
import { HELLO, startStack, type Stack } from '../gateway/helpers.js';
import { hostileProvider, startRecorder, type HostileProvider, type Recorder } from './hostile-provider.js';

/*
 * A provider (or a proxy in front of it) that answers 3xx to another origin: nothing is sent there, on
 * either transport; the attempt is the endpoint's failure (counted, fallen back from) and the log names the
 * host it pointed at.
 */

const KEY = 'sk-redirect-canary-0123456789';
const AZURE = 'azure-header-canary-0123456789';

let stack: Stack | undefined;
let recorder: Recorder | undefined;
let bad: HostileProvider | undefined;
let good: HostileProvider | undefined;
afterEach(async () => {
  await stack?.close();
  await Promise.all([recorder?.close(), bad?.close(), good?.close()]);
  stack = recorder = bad = good = undefined;
});

describe.each(['native', 'sdk'] as const)('a redirecting provider, %s transport', (transport) => {
  async function start(): Promise<Stack> {
    recorder = await startRecorder();
    bad = await hostileProvider('redirect', { target: recorder.url });
    good = await hostileProvider('ok');
    return (stack = await startStack({
      upstreams: {},
      extraProviders: {
        bad: { baseURL: bad.url, apiKey: KEY, headers: { 'api-key': AZURE }, transport },
        good: { baseURL: good.url, transport },
      },
      extraEndpoints: { bad: { provider: 'bad', model: 'm', timeoutMs: 5_000 }, good: { provider: 'good', model: 'm', timeoutMs: 5_000 } },
      routes: { chat: { endpoints: ['bad', 'good'] } },
      breaker: { volumeThreshold: 2 },
    }));
  }

  it('sends nothing to the other host, falls back, counts the failure and names the host in the log', async () => {
    const s = await start();
    const client = s.client();
    const plain = await client.chat.completions.create({ model: 'chat', messages: HELLO });
    expect(plain.choices[0]!.message.content).toBe('Hello');
    const stream = await client.chat.completions.create({ model: 'chat', messages: HELLO, stream: true });
    let text = '';
    for await (const c of stream) text += c.choices[0]?.delta?.content ?? '';
    expect(text).toBe('Hello');

    expect(recorder!.got).toEqual([]);
    expect(bad!.hits()).toBe(2);
    // Counted against the endpoint: two failures open its circuit (volumeThreshold 2).
    expect(s.router.circuits().find((c) => c.endpoint === 'bad')?.state).toBe('open');
    const metrics = await (await fetch(`${s.url}/metrics`)).text();
    expect(metrics).toMatch(/switchyard_attempts_total\{route="chat",endpoint="bad",outcome="invalid_response"\} 2/);
    const host = new URL(recorder!.url).host;
    const warned = s.logs.filter((l) => l.event === 'attempt' && l.errorType === 'redirect');
    expect(warned).toHaveLength(2);
    expect(String(warned[0]!.msg)).toContain(`redirected to ${host}`);
    // The Location's query (which may hold a key) is not logged, and no key is.
    expect(s.logText()).not.toContain('key=leak');
    expect(s.logText()).not.toContain(KEY);
    expect(s.logText()).not.toContain(AZURE);
  });
});
