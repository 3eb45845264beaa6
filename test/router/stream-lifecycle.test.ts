import type { ChatCompletionChunk } from 'openai/resources/chat/completions';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { ask, rig, TRANSPORTS, useTransport, type Rig } from './helpers.js';

let r: Rig | undefined;
afterEach(async () => {
  await r?.close();
  r = undefined;
  vi.useRealTimers();
});

const streamAsk = { ...ask, stream: true as const };
const requestEnd = () => r!.events.find((e) => e.name === 'request:end')?.args[1];
const primaryWindow = () => r!.router.circuits().find((c) => c.endpoint === 'primary')!.window;

/** Reads past the chunks held back before the first content: the next read waits on the provider. */
async function readToFirstContent(it: AsyncIterator<ChatCompletionChunk>): Promise<void> {
  for (;;) {
    const c = await it.next();
    if (c.done || c.value.choices[0]?.delta?.content) return;
  }
}

describe.each(TRANSPORTS)('%s transport', (transport) => {
  beforeEach(() => useTransport(transport));

  describe('a caller that holds a stream without reading it', () => {
    it('past streamIdleTimeoutMs is not the endpoint failing: the attempt is cancelled, uncounted, and settled without another read', async () => {
      // Real sockets need real time to tick; the idle limit is crossed by an explicit jump, never a sleep.
      vi.useFakeTimers({ shouldAdvanceTime: true });
      r = await rig({ primary: { chunks: 4 }, endpoint: { streamIdleTimeoutMs: 60_000 } });
      const it = (await r.router.dispatch(streamAsk)).response[Symbol.asyncIterator]();
      expect((await it.next()).done).toBe(false);
      await vi.advanceTimersByTimeAsync(60_000);
      // Settled while the caller still holds the stream: no probe or request is left waiting on it.
      expect(r.attempts).toEqual([{ endpoint: 'primary', outcome: 'cancelled', number: 1 }]);
      expect(requestEnd()).toMatchObject({ outcome: 'cancelled' });
      expect(primaryWindow()).toEqual({ attempts: 0, successes: 0, failures: 0 });
      await expect(it.next()).rejects.toMatchObject({ code: 'stream_interrupted', outcome: 'cancelled', message: /did not read the stream for 60000ms/ });
    });

    it('a provider silent past streamIdleTimeoutMs while the caller waits on it is still a timeout', async () => {
      vi.useFakeTimers({ shouldAdvanceTime: true });
      r = await rig({ primary: { chunks: 3, chunkDelayMs: 120_000 }, endpoint: { streamIdleTimeoutMs: 60_000 } });
      const it = (await r.router.dispatch(streamAsk)).response[Symbol.asyncIterator]();
      await readToFirstContent(it);
      const next = it.next().then(() => undefined, (e: unknown) => e);
      await vi.advanceTimersByTimeAsync(60_000);
      expect(await next).toMatchObject({ code: 'stream_interrupted', outcome: 'timeout' });
      expect(r.attempts).toEqual([{ endpoint: 'primary', outcome: 'timeout', number: 1 }]);
      expect(primaryWindow().failures).toBe(1);
    });
  });

  describe('router.close() with streams in flight', () => {
    it('a stream the caller holds is settled at once, and its next read is an error naming the close', async () => {
      r = await rig({ primary: { chunks: 50, chunkDelayMs: 20 } });
      const it = (await r.router.dispatch(streamAsk)).response[Symbol.asyncIterator]();
      await it.next();
      await r.router.close();
      expect(r.attempts).toEqual([{ endpoint: 'primary', outcome: 'cancelled', number: 1 }]);
      expect(requestEnd()).toMatchObject({ outcome: 'cancelled' });
      await expect(it.next()).rejects.toMatchObject({ code: 'stream_interrupted', outcome: 'cancelled', message: /the router was closed/ });
      await vi.waitFor(() => expect(r!.primary.stats().inFlight).toBe(0), { timeout: 5000 });
    });

    it('a read waiting on the provider ends with that error, not a quiet end that looks complete', async () => {
      r = await rig({ primary: { chunks: 3, chunkDelayMs: 600_000 } });
      const it = (await r.router.dispatch(streamAsk)).response[Symbol.asyncIterator]();
      await readToFirstContent(it);
      const next = it.next().then(() => 'ended quietly', (e: unknown) => e);
      await r.router.close();
      expect(await next).toMatchObject({ code: 'stream_interrupted', outcome: 'cancelled', message: /the router was closed/ });
      expect(r.attempts).toEqual([{ endpoint: 'primary', outcome: 'cancelled', number: 1 }]);
      expect(requestEnd()).toMatchObject({ outcome: 'cancelled' });
    });

    it('a stream not read yet hands out nothing more and ends with that error', async () => {
      r = await rig({ primary: { chunks: 50, chunkDelayMs: 20 } });
      const res = await r.router.dispatch(streamAsk);
      await r.router.close();
      expect(r.attempts).toEqual([{ endpoint: 'primary', outcome: 'cancelled', number: 1 }]);
      const got: ChatCompletionChunk[] = [];
      const err = await (async () => {
        for await (const c of res.response) got.push(c);
      })().catch((e: unknown) => e);
      expect(got).toEqual([]);
      expect(err).toMatchObject({ code: 'stream_interrupted', message: /the router was closed/ });
    });
  });
});
