import type { ServerResponse } from 'node:http';
import { once } from 'node:events';
import type { ChatCompletionChunk } from 'openai/resources/chat/completions';
import { mapError } from './errors.js';

/*
 * The streaming proxy. Each chunk is written the moment the router yields it (no buffering, Nagle off), and
 * the response waits on 'drain' when the client reads slower than the model writes, so a slow reader
 * throttles the upstream instead of growing memory.
 *
 * Headers are sent only once the first chunk is in hand: until then the router may still fall back, and a
 * failure before any byte is out can still be a proper HTTP status instead of an SSE error event.
 */

export type StreamEnd = 'completed' | 'interrupted' | 'cancelled';

export interface PipeOptions {
  /** Headers to send with the first byte (read then, so they name the endpoint that is actually streaming). */
  headers: () => Record<string, string>;
  /** Fires when the client went away. */
  signal: AbortSignal;
  scrub: (text: string) => string;
}

const frame = (data: string) => `data: ${data}\n\n`;

async function write(res: ServerResponse, text: string, signal: AbortSignal): Promise<void> {
  if (res.write(text)) return;
  // Wait for the client to catch up, or stop waiting when it leaves (close) so the handler can unwind.
  // `once` with a signal removes both listeners whichever comes first; a race of two `once`s would leave the
  // loser registered, one more per backpressure wait on a long stream.
  try {
    await once(res, 'drain', { signal });
  } catch (e) {
    if (!signal.aborted) throw e;
  }
}

/**
 * Pipes a router stream to the client as server-sent events. Rejects only when the stream fails before its
 * first chunk (nothing sent yet: the caller answers with an HTTP error); later failures become an error
 * event and resolve as 'interrupted'.
 */
export async function pipeStream(
  stream: AsyncIterable<ChatCompletionChunk>,
  res: ServerResponse,
  opts: PipeOptions,
): Promise<StreamEnd> {
  const it = stream[Symbol.asyncIterator]();
  const first = await it.next();

  if (opts.signal.aborted) {
    await it.return?.();
    return 'cancelled';
  }
  res.socket?.setNoDelay(true);
  res.writeHead(200, {
    ...opts.headers(),
    'content-type': 'text/event-stream; charset=utf-8',
    'cache-control': 'no-cache, no-transform',
    // Proxies such as nginx buffer responses unless told not to.
    'x-accel-buffering': 'no',
  });
  // No flushHeaders(): the headers go out in the same write as the first chunk, just below.

  try {
    let next = first;
    while (!next.done) {
      await write(res, frame(JSON.stringify(next.value)), opts.signal);
      if (opts.signal.aborted) break;
      next = await it.next();
    }
    if (opts.signal.aborted) {
      await it.return?.();
      return 'cancelled';
    }
    res.end(frame('[DONE]'));
    return 'completed';
  } catch (e) {
    if (opts.signal.aborted || res.destroyed) return 'cancelled';
    // The OpenAI SDKs turn a `data: {"error": ...}` event into a thrown APIError on the client side.
    const mapped = mapError(e);
    res.end(frame(opts.scrub(JSON.stringify(mapped.body))));
    return 'interrupted';
  }
}
