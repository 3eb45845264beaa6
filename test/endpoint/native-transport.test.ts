import { createServer, type Server } from 'node:http';
import { afterEach, describe, expect, it } from 'vitest';
import { nativeTransport } from '../../src/endpoint/native-transport.js';
import { startSimulator, type Simulator } from '../../src/simulator/index.js';

let sim: Simulator | undefined;
let counter: Server | undefined;
afterEach(async () => {
  await sim?.close();
  await new Promise((r) => (counter ? counter.close(r) : r(undefined)));
  sim = counter = undefined;
});

const body = { model: 'm', messages: [{ role: 'user' as const, content: 'hi' }] };

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
      await t.complete(body, new AbortController().signal);
      const stream = await t.stream(body, new AbortController().signal);
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
    expect(await t.complete(body, new AbortController().signal)).toEqual({ choices: [] });
    expect(seen.auth).toBe('Bearer sk-x');
    expect(JSON.parse(seen.body!)).toMatchObject({ model: 'm', stream: false });
    t.close();
  });
});
