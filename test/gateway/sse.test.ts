import { createServer, request, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { Writable } from 'node:stream';
import type { ChatCompletionChunk } from 'openai/resources/chat/completions';
import { describe, expect, it, vi } from 'vitest';
import { CancelSource } from '../../src/endpoint/cancellation.js';
import { SseParser } from '../../src/endpoint/sse.js';
import { pipeStream } from '../../src/gateway/sse.js';

/** A real writable with a 64-byte buffer that drains on the next tick: every chunk waits for 'drain'. */
class SlowClient extends Writable {
  received = '';
  constructor() {
    super({ highWaterMark: 64 });
  }
  writeHead(): this {
    return this;
  }
  override _write(chunk: Buffer, _enc: BufferEncoding, done: () => void): void {
    this.received += chunk.toString();
    setImmediate(done);
  }
}

async function* chunks(n: number): AsyncGenerator<ChatCompletionChunk> {
  for (let i = 0; i < n; i++) {
    yield { id: 'x', object: 'chat.completion.chunk', created: 0, model: 'm', choices: [{ index: 0, delta: { content: `c${i}` }, finish_reason: null }] };
  }
}

describe('pipeStream', () => {
  it("sends a chunk as the provider's own JSON text when the parser kept it, and serialises any other", async () => {
    const parser = new SseParser<ChatCompletionChunk>();
    const parsed: ChatCompletionChunk[] = [];
    const text = '{"id":"x",  "object":"chat.completion.chunk","created":0,"model":"m","choices":[]}';
    parser.push(Buffer.from(`data: ${text}\n\n`), (e) => e.kind === 'chunk' && parsed.push(e.value));
    const own: ChatCompletionChunk = { id: 'y', object: 'chat.completion.chunk', created: 0, model: 'm', choices: [] };
    async function* both() {
      yield parsed[0]!;
      yield own;
    }
    const client = new SlowClient();
    await pipeStream(both(), client as unknown as ServerResponse, { headers: () => ({}), cancelled: new CancelSource(), scrub: (t) => t });
    expect(client.received).toBe(`data: ${text}\n\ndata: ${JSON.stringify(own)}\n\ndata: [DONE]\n\n`);
  });
});

describe('pipeStream under backpressure', () => {
  it('waits for drain, delivers everything, and leaves no listener behind', async () => {
    const client = new SlowClient();
    const closeListeners = client.listenerCount('close');
    const end = await pipeStream(chunks(200), client as unknown as ServerResponse, { headers: () => ({}), cancelled: new CancelSource(), scrub: (t) => t });
    expect(end).toBe('completed');
    expect(client.received.match(/^data: \{/gm)).toHaveLength(200);
    expect(client.received.endsWith('data: [DONE]\n\n')).toBe(true);
    expect(client.listenerCount('close')).toBe(closeListeners);
    expect(client.listenerCount('drain')).toBe(0);
  });

  it('reads no further from the router while the client has not drained', async () => {
    let release: (() => void) | undefined;
    // A client that takes nothing until released: its 64-byte buffer is full after the first burst.
    const client = new Writable({
      highWaterMark: 64,
      write(_chunk, _enc, done) {
        release = done;
      },
    });
    Object.assign(client, { writeHead: () => client });
    let pulled = 0;
    async function* trickle(): AsyncGenerator<ChatCompletionChunk> {
      for await (const c of chunks(1000)) {
        // Each chunk in a later pass of the event loop, as a model writes them.
        await new Promise((r) => setImmediate(r));
        pulled++;
        yield c;
      }
    }
    const piped = pipeStream(trickle(), client as unknown as ServerResponse, { headers: () => ({}), cancelled: new CancelSource(), scrub: (t) => t });
    for (let i = 0; i < 50; i++) await new Promise((r) => setImmediate(r));
    expect(pulled).toBeLessThanOrEqual(3);
    client.destroy();
    release?.();
    await piped;
  });

  it('sends chunks that arrive in one pass of the event loop in one write', async () => {
    const writes: string[] = [];
    const client = new Writable({
      writev(chunks, done) {
        writes.push(chunks.map((c) => c.chunk.toString()).join(''));
        done();
      },
      write(chunk: Buffer, _enc, done) {
        writes.push(chunk.toString());
        done();
      },
    });
    Object.assign(client, { writeHead: () => client });
    const end = await pipeStream(chunks(5), client as unknown as ServerResponse, { headers: () => ({}), cancelled: new CancelSource(), scrub: (t) => t });
    expect(end).toBe('completed');
    expect(writes).toHaveLength(1);
    expect(writes[0]!.match(/^data: /gm)).toHaveLength(6);
  });
});

describe('pipeStream when the client leaves', () => {
  it('settles as cancelled when chunks queued before the client left arrive after it (a burst to flush, a socket that will never drain)', async () => {
    const big = (content: string): ChatCompletionChunk => ({
      id: 'x',
      object: 'chat.completion.chunk',
      created: 0,
      model: 'm',
      choices: [{ index: 0, delta: { content }, finish_reason: null }],
    });
    let end: string | undefined;
    // Wired as the chat route wires it: the response's 'close' cancels the call.
    const server = createServer((_req, res) => {
      const cancelled = new CancelSource();
      const closed = new Promise<void>((resolve) => res.on('close', () => (cancelled.cancel(), resolve())));
      async function* router(): AsyncGenerator<ChatCompletionChunk> {
        yield big('first');
        await closed;
        // What one provider read held, handed over after the client went away: more than a burst.
        yield big('x'.repeat(20_000));
        yield big('y');
      }
      void pipeStream(router(), res, { headers: () => ({}), cancelled, scrub: (t) => t }).then((e) => (end = e));
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    try {
      const { port } = server.address() as AddressInfo;
      await new Promise<void>((resolve) => {
        const req = request({ port, host: '127.0.0.1', method: 'POST' }, (res) => res.once('data', () => (req.destroy(), resolve())));
        req.on('error', () => undefined);
        req.end();
      });
      await vi.waitFor(() => expect(end).toBe('cancelled'), { timeout: 5_000 });
    } finally {
      server.close();
    }
  });
});
