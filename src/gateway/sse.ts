import type { ServerResponse } from 'node:http';
import type { ChatCompletionChunk } from 'openai/resources/chat/completions';
import type { Cancellation } from '../endpoint/cancellation.js';
import { mapError } from './errors.js';

/*
 * The streaming proxy. Chunks go out as the router yields them, and the response waits on 'drain' when the
 * client reads slower than the model writes, so a slow reader throttles the upstream instead of growing memory.
 * Chunks that arrive together (one read from the provider usually holds several events) leave in one write:
 * the socket is corked from the first chunk of a burst until the event loop's check phase, after the
 * current I/O is handled, so nothing waits for more than the rest of that pass.
 *
 * Headers are sent only once the first chunk is in hand: until then the router may still fall back, and a
 * failure before any byte is out can still be a proper HTTP status instead of an SSE error event.
 */

export type StreamEnd = 'completed' | 'interrupted' | 'cancelled';

export interface PipeOptions {
  /** Headers to send with the first byte (read then, so they name the endpoint that is actually streaming). */
  headers: () => Record<string, string>;
  /** Aborted when the client went away. */
  cancelled: Cancellation;
  scrub: (text: string) => string;
}

const frame = (data: string) => `data: ${data}\n\n`;

/** Resolves on 'drain', or on 'close' (the client left); both listeners go whichever comes first. */
function drainOrClose(res: ServerResponse): Promise<void> {
  return new Promise((resolve) => {
    const done = () => {
      res.off('drain', done);
      res.off('close', done);
      resolve();
    };
    res.on('drain', done);
    res.on('close', done);
  });
}

/** Corks the response for the rest of this event-loop pass, so a burst of writes leaves as one. */
class Burst {
  private pending: NodeJS.Immediate | undefined;
  constructor(private readonly res: ServerResponse) {}

  write(text: string): boolean {
    if (!this.pending) {
      this.res.cork();
      this.pending = setImmediate(() => this.flush());
    }
    return this.res.write(text);
  }

  flush(): void {
    if (!this.pending) return;
    clearImmediate(this.pending);
    this.pending = undefined;
    this.res.uncork();
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
  const { cancelled } = opts;

  if (cancelled.aborted) {
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

  const burst = new Burst(res);
  try {
    let next = first;
    while (!next.done) {
      if (!burst.write(frame(JSON.stringify(next.value)))) {
        // Waiting on a corked socket would wait forever: let the burst out first.
        burst.flush();
        await drainOrClose(res);
      }
      if (cancelled.aborted) break;
      next = await it.next();
    }
    if (cancelled.aborted) {
      burst.flush();
      await it.return?.();
      return 'cancelled';
    }
    // end() uncorks the socket itself: the last burst and [DONE] leave together.
    res.end(frame('[DONE]'));
    burst.flush();
    return 'completed';
  } catch (e) {
    if (cancelled.aborted || res.destroyed) {
      burst.flush();
      return 'cancelled';
    }
    // The OpenAI SDKs turn a `data: {"error": ...}` event into a thrown APIError on the client side.
    const mapped = mapError(e);
    res.end(frame(opts.scrub(JSON.stringify(mapped.body))));
    burst.flush();
    return 'interrupted';
  }
}
