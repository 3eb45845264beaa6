import { createServer, type Server, type ServerResponse } from 'node:http';
import type { Socket } from 'node:net';
import OpenAI from 'openai';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { AFTER_DONE_MS } from '../../src/endpoint/answer-limit.js';
import { boundedFetch } from '../../src/endpoint/bounded-fetch.js';
import { CancelSource } from '../../src/endpoint/cancellation.js';
import { nativeTransport } from '../../src/endpoint/native-transport.js';
import { sdkTransport, type Transport } from '../../src/endpoint/transport.js';
import { readAll } from './helpers.js';

/*
 * A provider's stream ends at its [DONE] event for the reader, whichever transport reads it; a provider that
 * keeps the body open after it has its connection cut AFTER_DONE_MS later, and no sooner. Real servers over
 * real sockets; only setTimeout is faked, so the transports' own timers are the test's to move.
 */

const servers: Server[] = [];
afterEach(async () => {
  vi.useRealTimers();
  for (const s of servers.splice(0)) {
    s.closeAllConnections();
    await new Promise((r) => s.close(r));
  }
});

const streamBody = { model: 'm', messages: [{ role: 'user' as const, content: 'hi' }], stream: true as const };
const chunk = (content: string) => `data: {"id":"c","choices":[{"index":0,"delta":{"content":"${content}"},"finish_reason":null}]}\n\n`;

/**
 * A provider answering every stream with `answer(res)`; it counts the connections that carried a request,
 * and those of them that have ended. (After any cut undici opens a fresh connection, unused: not counted.)
 * It asks clients to keep idle connections for a minute, beyond the fake time the tests move, so that only a
 * cut ends one.
 */
async function provider(answer: (res: ServerResponse) => void) {
  const used = new Set<Socket>();
  let socketsClosed = 0;
  const server = createServer((req, res) => {
    if (!used.has(req.socket)) {
      used.add(req.socket);
      req.socket.on('close', () => socketsClosed++);
    }
    res.writeHead(200, { 'content-type': 'text/event-stream' });
    req.resume().on('end', () => answer(res));
  });
  server.keepAliveTimeout = 60_000;
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  servers.push(server);
  return {
    baseURL: `http://127.0.0.1:${(server.address() as { port: number }).port}/v1`,
    sockets: () => used.size,
    socketsClosed: () => socketsClosed,
  };
}

/** A few turns of the real event loop, for anything already under way on the sockets to arrive. */
const settle = async () => {
  for (let i = 0; i < 20; i++) await new Promise((r) => setImmediate(r));
};

const transports: Record<string, (baseURL: string) => Transport> = {
  native: (baseURL) => nativeTransport({ baseURL }),
  sdk: (baseURL) => sdkTransport(new OpenAI({ baseURL, apiKey: 'k', maxRetries: 0, fetch: boundedFetch(fetch) })),
};

for (const [name, make] of Object.entries(transports)) {
  describe(`${name} transport: after a stream's [DONE]`, () => {
    it('ends the stream at once, and cuts a body kept open only AFTER_DONE_MS later', async () => {
      vi.useFakeTimers({ toFake: ['setTimeout', 'clearTimeout'] });
      const p = await provider((res) => res.write(`${chunk('a')}data: [DONE]\n\n`));
      const t = make(p.baseURL);
      const r = await readAll(await t.stream(streamBody, new CancelSource()));
      expect(r.error).toBeUndefined();
      expect(r.got).toHaveLength(1);
      await vi.advanceTimersByTimeAsync(AFTER_DONE_MS - 1);
      await settle();
      expect(p.socketsClosed()).toBe(0);
      await vi.advanceTimersByTimeAsync(1);
      await vi.waitFor(() => expect(p.socketsClosed()).toBe(1), { interval: 5, timeout: 5_000 });
      t.close();
    });

    it('leaves the connection of a body that ends with its [DONE] open for the next call', async () => {
      vi.useFakeTimers({ toFake: ['setTimeout', 'clearTimeout'] });
      const p = await provider((res) => res.end(`${chunk('a')}data: [DONE]\n\n`));
      const t = make(p.baseURL);
      expect((await readAll(await t.stream(streamBody, new CancelSource()))).got).toHaveLength(1);
      await vi.advanceTimersByTimeAsync(AFTER_DONE_MS * 2);
      await settle();
      expect(p.socketsClosed()).toBe(0);
      expect((await readAll(await t.stream(streamBody, new CancelSource()))).got).toHaveLength(1);
      expect(p.sockets()).toBe(1);
      t.close();
    });

    it('hands on nothing after [DONE]', async () => {
      const p = await provider((res) => res.end(`${chunk('a')}data: [DONE]\n\n${chunk('b')}data: {not json\n\n`));
      const t = make(p.baseURL);
      const r = await readAll(await t.stream(streamBody, new CancelSource()));
      expect(r.error).toBeUndefined();
      expect(r.got).toEqual([expect.objectContaining({ choices: [expect.objectContaining({ delta: { content: 'a' } })] })]);
      t.close();
    });
  });
}
