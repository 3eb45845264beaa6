import { createServer, type Server } from 'node:http';
import { APIConnectionError, APIUserAbortError, RateLimitError } from 'openai';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { CancelSource } from '../../src/endpoint/cancellation.js';
import { nativeTransport } from '../../src/endpoint/native-transport.js';
import { JsonAnswer } from '../../src/endpoint/transport.js';
import { startSimulator, type Simulator } from '../../src/simulator/index.js';
import { readAll } from './helpers.js';

let sim: Simulator | undefined;
let counter: Server | undefined;
afterEach(async () => {
  await sim?.close();
  // An http.Server's held answers (a failed test's) would keep close() waiting.
  if (counter && 'closeAllConnections' in counter) counter.closeAllConnections();
  await new Promise((r) => (counter ? counter.close(r) : r(undefined)));
  sim = counter = undefined;
});

// As Endpoint hands them over: the endpoint's model and the stream flag already set.
const body = { model: 'm', messages: [{ role: 'user' as const, content: 'hi' }], stream: false as const };
const streamBody = { ...body, stream: true as const };

/** A TCP front for the simulator that counts connections, so socket reuse is observable. */
async function countingProxy(target: number): Promise<{ url: string; connections: () => number }> {
  let connections = 0;
  const { connect } = await import('node:net');
  const server = (await import('node:net')).createServer((socket) => {
    connections++;
    const upstream = connect(target, '127.0.0.1');
    socket.pipe(upstream).pipe(socket);
    socket.on('error', () => upstream.destroy());
    upstream.on('error', () => socket.destroy());
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  counter = server as unknown as Server;
  return { url: `http://127.0.0.1:${(server.address() as { port: number }).port}/v1`, connections: () => connections };
}

describe('native transport', () => {
  // undici frees a connection a microtask after the answer's end, so a call made at once from the caller's
  // continuation may open a second one; after that the two take turns. Without reuse each call opens one.
  it('reuses keep-alive connections across plain and fully read streamed calls (two at most, back to back)', async () => {
    sim = await startSimulator({ faults: { chunks: 3 } });
    const proxy = await countingProxy(sim.port);
    const t = nativeTransport({ baseURL: proxy.url, apiKey: 'k' });
    for (let i = 0; i < 5; i++) {
      await t.complete(body, new CancelSource());
      const stream = await t.stream(streamBody, new CancelSource());
      for await (const _ of stream) void _;
    }
    expect(proxy.connections()).toBeLessThanOrEqual(2);
    // Calls that are not back to back share one.
    const before = proxy.connections();
    for (let i = 0; i < 5; i++) {
      await t.complete(body, new CancelSource());
      await new Promise((r) => setImmediate(r));
    }
    expect(proxy.connections()).toBe(before);
    t.close();
  });

  it('sends the key as a bearer token and the body with the endpoint model', async () => {
    let seen: { auth?: string; body?: string } = {};
    const server = createServer((req, res) => {
      let text = '';
      req.on('data', (d) => (text += d)).on('end', () => {
        seen = { auth: req.headers.authorization, body: text };
        res.writeHead(200, { 'content-type': 'application/json' }).end('{"choices":[]}');
      });
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    counter = server;
    const t = nativeTransport({ baseURL: `http://127.0.0.1:${(server.address() as { port: number }).port}/v1/`, apiKey: 'sk-x' });
    // The parsed answer, with the bytes it came as (the gateway passes those on).
    const answer = await t.complete(body, new CancelSource());
    expect(answer).toBeInstanceOf(JsonAnswer);
    expect((answer as JsonAnswer).value).toEqual({ choices: [] });
    expect((answer as JsonAnswer).bytes.toString()).toBe('{"choices":[]}');
    expect(seen.auth).toBe('Bearer sk-x');
    expect(JSON.parse(seen.body!)).toMatchObject({ model: 'm', stream: false });
    t.close();
  });

  it('an abort cuts a call in flight and rejects it as the SDK would (APIUserAbortError)', async () => {
    sim = await startSimulator({ faults: { always: { kind: 'hang' } } });
    const t = nativeTransport({ baseURL: sim.url });
    const abort = new CancelSource();
    const call = t.complete(body, abort);
    setTimeout(() => abort.cancel(), 20);
    await expect(call).rejects.toBeInstanceOf(APIUserAbortError);
    const already = new CancelSource();
    already.cancel();
    await expect(t.complete(body, already)).rejects.toBeInstanceOf(APIUserAbortError);
    t.close();
  });

  it('an abort while the call waits for a connection rejects it at once, and it is never sent', async () => {
    const held: import('node:http').ServerResponse[] = [];
    let received = 0;
    const baseURL = await provider((res) => {
      received++;
      held.push(res);
    });
    // One connection: the second call queues behind the first, which the provider holds.
    const t = nativeTransport({ baseURL, connections: 1 });
    const first = t.complete(body, new CancelSource());
    await vi.waitFor(() => expect(held).toHaveLength(1));
    const abort = new CancelSource();
    const queued = t.complete(body, abort);
    abort.cancel();
    await expect(queued).rejects.toBeInstanceOf(APIUserAbortError);
    // The first answer frees the connection; the cancelled call must not go out on it, the next one does.
    held[0]!.writeHead(200, { 'content-type': 'application/json' }).end('{"ok":1}');
    await expect(first).resolves.toBeInstanceOf(JsonAnswer);
    const third = t.complete(body, new CancelSource());
    await vi.waitFor(() => expect(held).toHaveLength(2));
    held[1]!.writeHead(200, { 'content-type': 'application/json' }).end('{"ok":3}');
    expect(((await third) as JsonAnswer).value).toEqual({ ok: 3 });
    expect(received).toBe(2);
    t.close();
  });

  it('an abort after the answer leaves the pooled connection alone', async () => {
    sim = await startSimulator({ faults: { chunks: 2 } });
    const proxy = await countingProxy(sim.port);
    const t = nativeTransport({ baseURL: proxy.url });
    for (let i = 0; i < 5; i++) {
      const abort = new CancelSource();
      await t.complete(body, abort);
      // The router releases an attempt right after it ends; a late abort before that must not cut the socket.
      abort.cancel();
      const streamAbort = new CancelSource();
      for await (const _ of await t.stream(streamBody, streamAbort)) void _;
      streamAbort.cancel();
    }
    // A cut socket would mean a new connection for every call (ten).
    expect(proxy.connections()).toBeLessThanOrEqual(2);
    t.close();
  });

  /** A provider that answers every call with `answer(res)`. */
  async function provider(answer: (res: import('node:http').ServerResponse) => void): Promise<string> {
    const server = createServer((req, res) => req.resume().on('end', () => answer(res)));
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    counter = server;
    return `http://127.0.0.1:${(server.address() as { port: number }).port}/v1`;
  }

  it('a stream yields the events before a bad one, then its SyntaxError', async () => {
    const t = nativeTransport({ baseURL: await provider((res) => res.writeHead(200, { 'content-type': 'text/event-stream' }).end('data: {"id":"a"}\n\ndata: {nope\n\n')) });
    const r = await readAll(await t.stream(streamBody, new CancelSource()));
    expect(r.got).toEqual([{ id: 'a' }]);
    expect(r.error).toBeInstanceOf(SyntaxError);
    t.close();
  });

  it('a connection cut mid-stream is an APIConnectionError after the events that came', async () => {
    const t = nativeTransport({
      baseURL: await provider((res) => {
        res.writeHead(200, { 'content-type': 'text/event-stream' });
        res.write('data: {"id":"a"}\n\n', () => setTimeout(() => res.socket?.destroy(), 10));
      }),
    });
    const r = await readAll(await t.stream(streamBody, new CancelSource()));
    expect(r.got).toEqual([{ id: 'a' }]);
    expect(r.error).toBeInstanceOf(APIConnectionError);
    t.close();
  });

  it("a non-2xx answer is the SDK's class for its status, with its headers", async () => {
    const t = nativeTransport({
      baseURL: await provider((res) => res.writeHead(429, { 'content-type': 'application/json', 'retry-after': '7' }).end('{"error":{"message":"slow down"}}')),
    });
    for (const call of [() => t.complete(body, new CancelSource()), () => t.stream(streamBody, new CancelSource())]) {
      const e = await call().catch((x: unknown) => x);
      expect(e).toBeInstanceOf(RateLimitError);
      expect((e as RateLimitError).headers?.get('retry-after')).toBe('7');
      expect((e as RateLimitError).message).toContain('slow down');
    }
    t.close();
  });
});
