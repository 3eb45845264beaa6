import { APIConnectionTimeoutError } from 'openai';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { isDeadlineExceededError, isRequestCancelledError } from '../../src/index.js';
import { rigPerTest, user, type AttributionRig } from './harness.js';

/*
 * Issue 17, guarantee 4: a hang is caught even when callers give up early. A black-holed primary with a
 * 10 s timeout, callers whose budget is 300 ms: the primary is skipped after at most volumeThreshold (5)
 * requests and later callers get the fallback within their budget; the primary's circuit opens when the
 * watched attempts reach their own timeout. A caller that gives up on a provider that is answering is never
 * counted. Real sockets tick on real time; the 10 s timeout is crossed by an explicit jump, not a sleep.
 */

const start = rigPerTest();
const OPTS = { endpoint: { timeoutMs: 10_000 }, breaker: { volumeThreshold: 5 } };
const ask = { model: 'chat', messages: user('hi') };

beforeEach(() => vi.useFakeTimers({ shouldAdvanceTime: true }));
afterEach(() => vi.useRealTimers());

/** Sends `n` requests one after the other and says who served each (`gave up` when the caller did). */
async function callers(n: number, send: () => Promise<string>): Promise<string[]> {
  const served: string[] = [];
  for (let i = 0; i < n; i++) served.push(await send());
  return served;
}

async function afterTheTimeout(rig: AttributionRig): Promise<void> {
  await vi.advanceTimersByTimeAsync(10_000);
  await vi.waitFor(() => expect(rig.router.circuits().find((c) => c.endpoint === 'primary')!.inFlight).toBe(0));
}

describe('callers that give up early', () => {
  it('per-call timeout (library): skipped after 5 requests, fallback within budget, circuit opens at the timeout', async () => {
    const rig = await start({ ...OPTS, primary: { hang: true } });
    const served = await callers(20, async () => {
      try {
        return (await rig.router.dispatch(ask, { timeout: 300 })).endpoint;
      } catch (e) {
        if (isDeadlineExceededError(e)) return 'gave up';
        throw e;
      }
    });
    expect(served).toEqual([...Array(5).fill('gave up'), ...Array(15).fill('fallback')]);
    expect(rig.primary.hits.get('ok')).toBe(5);
    expect(rig.state('primary')).toBe('closed');
    await afterTheTimeout(rig);
    expect(rig.state('primary')).toBe('open');
    expect(rig.charges.filter((c) => c.endpoint === 'primary')).toEqual(Array(5).fill({ endpoint: 'primary', verdict: 'charged', reason: 'hang' }));
  });

  it('a disconnecting HTTP client (openai SDK, timeout 300 ms): the same through the gateway', async () => {
    const rig = await start({ ...OPTS, primary: { hang: true } });
    let ended = 0;
    rig.router.events.on('request:end', () => ended++);
    let sent = 0;
    const served = await callers(12, async () => {
      sent++;
      try {
        const { response } = await rig.client.chat.completions.create(ask, { timeout: 300 }).withResponse();
        return response.headers.get('x-switchyard-endpoint') ?? 'none';
      } catch (e) {
        if (e instanceof APIConnectionTimeoutError) return 'gave up';
        throw e;
      } finally {
        // The next client comes once the gateway has seen this one go (its socket close is a separate event).
        await vi.waitFor(() => expect(ended).toBe(sent));
      }
    });
    expect(served, served.join()).toEqual([...Array(5).fill('gave up'), ...Array(7).fill('fallback')]);
    await afterTheTimeout(rig);
    expect(rig.state('primary')).toBe('open');
  });

  it('a bare signal (the router cannot know the budget): the watched attempts open the circuit at their timeout', async () => {
    const rig = await start({ ...OPTS, primary: { hang: true } });
    const served = await callers(8, async () => {
      const ac = new AbortController();
      const t = setTimeout(() => ac.abort(), 300);
      try {
        return (await rig.router.dispatch(ask, { signal: ac.signal })).endpoint;
      } catch (e) {
        if (isRequestCancelledError(e)) return 'gave up';
        throw e;
      } finally {
        clearTimeout(t);
      }
    });
    expect(served).toEqual(Array(8).fill('gave up'));
    await afterTheTimeout(rig);
    expect(rig.state('primary')).toBe('open');
    expect((await rig.router.dispatch(ask, { timeout: 300 })).endpoint).toBe('fallback');
  });

  it.each([
    ['plain, answered after 2 s', { longMs: 2_000 }, false],
    ['streamed, first chunk after 2 s', { chunks: 3, chunkDelayMs: 2_000 }, true],
  ])('a provider that is answering (%s) is never charged for callers giving up at 300 ms', async (_what, primary, stream) => {
    const rig = await start({ ...OPTS, primary });
    const body = { ...ask, messages: user(stream ? 'hi' : '[[long]] hi'), ...(stream ? { stream: true as const } : {}) };
    for (let i = 0; i < 20; i++) {
      await rig.router.dispatch(body, { timeout: 300 }).then(
        async (r) => {
          if (stream) for await (const _ of r.response as AsyncIterable<unknown>);
        },
        () => undefined,
      );
    }
    await afterTheTimeout(rig);
    expect(rig.state('primary')).toBe('closed');
    expect(rig.router.circuits().find((c) => c.endpoint === 'primary')!.window.failures).toBe(0);
    expect(rig.charges.filter((c) => c.verdict === 'charged')).toEqual([]);
  });
});
