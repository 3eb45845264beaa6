import { createServer, type Server } from 'node:http';
import { APIUserAbortError } from 'openai';
import { afterEach, describe, expect, it } from 'vitest';
import { CancelSource } from '../../src/endpoint/cancellation.js';
import { nativeTransport } from '../../src/endpoint/native-transport.js';
import { startSimulator, type Simulator } from '../../src/simulator/index.js';

let sim: Simulator | undefined;
let counter: Server | undefined;
afterEach(async () => {
  await sim?.close();
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
  it('reuses one keep-alive connection across plain and fully read streamed calls', async () => {
    sim = await startSimulator({ faults: { chunks: 3 } });
    const proxy = await countingProxy(sim.port);
    const t = nativeTransport({ baseURL: proxy.url, apiKey: 'k' });
    for (let i = 0; i < 5; i++) {
      await t.complete(body, new CancelSource());
      const stream = await t.stream(streamBody, new CancelSource());
      for await (const _ of stream) void _;
      // Let the drained socket return to the pool before the next call picks one.
      await new Promise((r) => setImmediate(r));
    }
    expect(proxy.connections()).toBe(1);
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
    expect(await t.complete(body, new CancelSource())).toEqual({ choices: [] });
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

  it('an abort after the answer leaves the pooled connection alone', async () => {
    sim = await startSimulator({ faults: { chunks: 2 } });
    const proxy = await countingProxy(sim.port);
    const t = nativeTransport({ baseURL: proxy.url });
    for (let i = 0; i < 3; i++) {
      const abort = new CancelSource();
      await t.complete(body, abort);
      // The router releases an attempt right after it ends; a late abort before that must not cut the socket.
      abort.cancel();
      const streamAbort = new CancelSource();
      for await (const _ of await t.stream(streamBody, streamAbort)) void _;
      streamAbort.cancel();
      await new Promise((r) => setImmediate(r));
    }
    expect(proxy.connections()).toBe(1);
    t.close();
  });
});
