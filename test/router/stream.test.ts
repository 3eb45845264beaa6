import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import type { ChatCompletionChunk } from 'openai/resources/chat/completions';
import type { FaultSpec } from '../../src/simulator/index.js';
import { ask, rig, type Rig } from './helpers.js';
import { TRANSPORTS, useTransport } from './helpers.js';

let r: Rig | undefined;
afterEach(async () => {
  await r?.close();
  r = undefined;
});

const streamAsk = { ...ask, stream: true as const };

async function collect(stream: AsyncIterable<ChatCompletionChunk>): Promise<{ text: string; models: Set<string>; error?: unknown }> {
  let text = '';
  const models = new Set<string>();
  try {
    for await (const c of stream) {
      models.add(c.model);
      text += c.choices[0]?.delta?.content ?? '';
    }
  } catch (error) {
    return { text, models, error };
  }
  return { text, models };
}

describe.each(TRANSPORTS)('%s transport', (transport) => {
  beforeEach(() => useTransport(transport));

describe('streaming through the real SDK over real HTTP', () => {
  it('streams chunk by chunk from the primary and records the attempt when the stream ends', async () => {
    // The first content chunk 60 ms after the role chunk, then three more 30 ms apart: lower bounds only
    // (a timer never fires early), so a loaded host cannot fail it.
    r = await rig({ primary: { chunks: 4, firstTokenDelayMs: 60, chunkDelayMs: 30 } });
    const res = await r.router.dispatch({ ...streamAsk, stream_options: { include_usage: true } });
    expect(res).toMatchObject({ endpoint: 'primary', attempts: 1 });
    expect(r.attempts).toEqual([]); // still streaming
    const out = await collect(res.response);
    expect(out.error).toBeUndefined();
    expect(out.text.length).toBeGreaterThan(0);
    expect([...out.models]).toEqual(['model-a']);
    expect(r.attempts).toEqual([{ endpoint: 'primary', outcome: 'success', number: 1 }]);
    const end = r.events.find((e) => e.name === 'attempt:end')!.args[1] as { timeToFirstTokenMs: number; durationMs: number; inputTokens: number };
    expect(end.timeToFirstTokenMs).toBeGreaterThanOrEqual(55);
    // Measured at the first content chunk, not at the end: the three later chunks come after it.
    expect(end.durationMs - end.timeToFirstTokenMs).toBeGreaterThanOrEqual(85);
    expect(end.inputTokens).toBeGreaterThan(0);
    expect(r.events.find((e) => e.name === 'request:end')!.args[1]).toMatchObject({ outcome: 'success', endpoint: 'primary' });
  });

  const before: [string, FaultSpec, string][] = [
    ['500', { always: { kind: 'status', status: 500 } }, 'server_error'],
    ['reset', { always: { kind: 'reset' } }, 'connection_error'],
    ['malformed SSE', { always: { kind: 'malformed' } }, 'invalid_response'],
    ['empty stream', { always: { kind: 'empty' } }, 'invalid_response'],
    ['slow first token', { always: { kind: 'slow_first_token', delayMs: 5000 } }, 'timeout'],
    ['hang', { always: { kind: 'hang' } }, 'timeout'],
  ];

  it.each(before)('falls back on %s before the first content chunk: one model only', async (_n, fault, outcome) => {
    r = await rig({ primary: fault, endpoint: outcome === 'timeout' ? { firstTokenTimeoutMs: 200 } : {} });
    const res = await r.router.dispatch(streamAsk);
    const out = await collect(res.response);
    expect(out.error).toBeUndefined();
    expect([...out.models]).toEqual(['model-b']);
    expect(r.attempts).toEqual([
      { endpoint: 'primary', outcome, number: 1 },
      { endpoint: 'fallback', outcome: 'success', number: 2 },
    ]);
  });

  it('a stream cut after its first content chunk ends with an error, counts against the circuit, and is not glued to another model', async () => {
    r = await rig({ primary: { always: { kind: 'cut', afterChunks: 1 }, chunks: 5 } });
    const res = await r.router.dispatch(streamAsk);
    const out = await collect(res.response);
    expect(out.error).toMatchObject({ code: 'stream_interrupted', endpoint: 'primary', outcome: 'connection_error' });
    expect(out.text.length).toBeGreaterThan(0);
    expect([...out.models]).toEqual(['model-a']);
    expect(r.fallback.stats().requests).toBe(0);
    expect(r.router.circuits().find((c) => c.endpoint === 'primary')!.window.failures).toBe(1);
    expect(r.events.find((e) => e.name === 'request:end')!.args[1]).toMatchObject({ outcome: 'failed' });
  });

  it('a stream that stalls after it started ends as a timeout', async () => {
    r = await rig({ primary: { chunks: 3, chunkDelayMs: 2000 }, endpoint: { streamIdleTimeoutMs: 150 } });
    const out = await collect((await r.router.dispatch(streamAsk)).response);
    expect(out.error).toMatchObject({ code: 'stream_interrupted', outcome: 'timeout' });
    expect(r.attempts).toEqual([{ endpoint: 'primary', outcome: 'timeout', number: 1 }]);
  });

  it('a caller that stops reading cancels the upstream: counted as cancelled, not a failure', async () => {
    r = await rig({ primary: { chunks: 50, chunkDelayMs: 20 } });
    const res = await r.router.dispatch(streamAsk);
    for await (const c of res.response) {
      if (c.choices[0]?.delta?.content) break;
    }
    expect(r.attempts).toEqual([{ endpoint: 'primary', outcome: 'cancelled', number: 1 }]);
    expect(r.router.circuits().find((c) => c.endpoint === 'primary')!.window.attempts).toBe(0);
    await vi.waitFor(() => expect(r!.primary.stats().inFlight).toBe(0), { timeout: 5000 });
    expect(r.events.find((e) => e.name === 'request:end')!.args[1]).toMatchObject({ outcome: 'cancelled' });
  });

  it('a caller that returns the iterator before reading a chunk cancels too', async () => {
    r = await rig({ primary: { chunks: 50, chunkDelayMs: 20 } });
    const res = await r.router.dispatch(streamAsk);
    const it = res.response[Symbol.asyncIterator]();
    await it.return?.();
    expect(await it.next()).toEqual({ done: true, value: undefined });
    expect(r.attempts).toEqual([{ endpoint: 'primary', outcome: 'cancelled', number: 1 }]);
    expect(r.events.find((e) => e.name === 'request:end')!.args[1]).toMatchObject({ outcome: 'cancelled' });
    await vi.waitFor(() => expect(r!.primary.stats().inFlight).toBe(0), { timeout: 5000 });
  });

  it('aborting the controller after taking the iterator, before reading, cancels too', async () => {
    r = await rig({ primary: { chunks: 50, chunkDelayMs: 20 } });
    const res = await r.router.dispatch(streamAsk);
    res.response[Symbol.asyncIterator]();
    res.response.controller.abort();
    expect(r.attempts).toEqual([{ endpoint: 'primary', outcome: 'cancelled', number: 1 }]);
    expect(r.events.find((e) => e.name === 'request:end')!.args[1]).toMatchObject({ outcome: 'cancelled' });
    await vi.waitFor(() => expect(r!.primary.stats().inFlight).toBe(0), { timeout: 5000 });
  });

  it('refuses a second iteration of one stream, as the SDK does, and the first reads on', async () => {
    r = await rig({ primary: { chunks: 4 } });
    const res = await r.router.dispatch(streamAsk);
    const first = res.response[Symbol.asyncIterator]();
    const second = res.response[Symbol.asyncIterator]();
    expect((await first.next()).done).toBe(false);
    await expect(second.next()).rejects.toThrow('Cannot iterate over a consumed stream');
    const rest = await collect({ [Symbol.asyncIterator]: () => first });
    expect(rest.error).toBeUndefined();
    expect(r.attempts).toEqual([{ endpoint: 'primary', outcome: 'success', number: 1 }]);
  });

  it('tee() splits a stream into two that both read every chunk', async () => {
    r = await rig({ primary: { chunks: 4 } });
    const [a, b] = (await r.router.dispatch(streamAsk)).response.tee();
    const [x, y] = await Promise.all([collect(a), collect(b)]);
    expect(x.error).toBeUndefined();
    expect(x.text.length).toBeGreaterThan(0);
    expect(y).toEqual(x);
    expect(r.attempts).toEqual([{ endpoint: 'primary', outcome: 'success', number: 1 }]);
  });

  it('aborting the returned stream controller cancels too', async () => {
    r = await rig({ primary: { chunks: 50, chunkDelayMs: 20 } });
    const res = await r.router.dispatch(streamAsk);
    const it = res.response[Symbol.asyncIterator]();
    await it.next();
    res.response.controller.abort();
    const rest = await collect({ [Symbol.asyncIterator]: () => it });
    expect(rest.error).toBeUndefined();
    expect(r.attempts).toEqual([{ endpoint: 'primary', outcome: 'cancelled', number: 1 }]);
  });
});
});
