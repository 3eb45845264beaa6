import type { ServerResponse } from 'node:http';
import { getEventListeners } from 'node:events';
import { Writable } from 'node:stream';
import type { ChatCompletionChunk } from 'openai/resources/chat/completions';
import { describe, expect, it } from 'vitest';
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

describe('pipeStream under backpressure', () => {
  it('waits for drain on every chunk, delivers everything, and leaves no listener behind', async () => {
    const client = new SlowClient();
    const signal = new AbortController().signal;
    const end = await pipeStream(chunks(200), client as unknown as ServerResponse, { headers: () => ({}), signal, scrub: (t) => t });
    expect(end).toBe('completed');
    expect(client.received.match(/^data: \{/gm)).toHaveLength(200);
    expect(client.received.endsWith('data: [DONE]\n\n')).toBe(true);
    expect(getEventListeners(signal, 'abort')).toHaveLength(0);
    expect(client.listenerCount('drain')).toBe(0);
  });
});
