import type { ServerResponse } from 'node:http';
import type { ChatCompletionChunk } from 'openai/resources/chat/completions';
import type { Cancellation } from '../endpoint/cancellation.js';
import { providerJson } from '../endpoint/sse.js';
import { mapError } from './errors.js';
import { shuttingDown } from './shutdown-answer.js';

/*
 * The streaming proxy. Chunks go out as the router yields them, and the response waits on 'drain' when the
 * client reads slower than the model writes, so a slow reader throttles the upstream instead of growing memory.
 * Chunks that arrive together (one read from the provider usually holds several events) leave in one write,
 * made at the event loop's check phase after the current I/O is handled, so nothing waits for more than the
 * rest of that pass.
 *
 * Headers are sent only once the first chunk is in hand: until then the router may still fall back, and a
 * failure before any byte is out can still be a proper HTTP status instead of an SSE error event.
 */

export type StreamEnd = 'completed' | 'interrupted' | 'cancelled';

/** Filled in by `pipeStream` once the stream has begun: ends it at once with the shutdown's error event. */
export interface StreamStop {
  now?: () => void;
}

export interface PipeOptions {
  /** Headers to send with the first byte (read then, so they name the endpoint that is actually streaming): a new object per call, which the response headers are added to. */
  headers: () => Record<string, string>;
  /** Aborted when the client went away. */
  cancelled: Cancellation;
  scrub: (text: string) => string;
  /** Where `pipeStream` puts the way to end the stream early as an answer (the gateway's shutdown). */
  stop?: StreamStop;
}

const frame = (data: string) => `data: ${data}\n\n`;

/** A burst this long (in characters) is written at once rather than at the end of the event-loop pass. */
const BURST_LENGTH = 16 * 1024;

/**
 * Resolves on 'drain', or on 'close' (the client left); both listeners go whichever comes first. A response
 * already destroyed has emitted its 'close' and will never drain: waiting on it would never end.
 */
export function drainOrClose(res: ServerResponse): Promise<void> {
  if (res.destroyed) return Promise.resolve();
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

/**
 * Collects the frames of a burst into one string and writes it at the event loop's check phase, so that the
 * chunks of one provider read leave as one write and one HTTP chunk (corking the socket instead still makes a
 * chunk header, body and CRLF per frame, and a writev of all of them).
 */
class Burst {
  private text = '';
  private pending: NodeJS.Immediate | undefined;
  constructor(private readonly res: ServerResponse) {}

  add(frame: string): void {
    if (!this.pending) this.pending = setImmediate(() => this.flush());
    this.text += frame;
  }

  size(): number {
    return this.text.length;
  }

  /** Writes what waits now; false when the socket wants a 'drain' first. */
  flush(): boolean {
    const text = this.take();
    return text === '' || this.res.write(text);
  }

  /** Ends the response with what waits and `last`. */
  end(last: string): void {
    this.res.end(this.take() + last);
  }

  /** The client is gone: nothing more is written. */
  discard(): void {
    this.take();
  }

  private take(): string {
    if (this.pending) clearImmediate(this.pending);
    this.pending = undefined;
    const text = this.text;
    this.text = '';
    return text;
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
  // Added to the object headers() returns rather than spread into a new one: a spread clones it per request.
  const headers = opts.headers();
  headers['content-type'] = 'text/event-stream; charset=utf-8';
  headers['cache-control'] = 'no-cache, no-transform';
  // Proxies such as nginx buffer responses unless told not to.
  headers['x-accel-buffering'] = 'no';
  res.writeHead(200, headers);
  // No flushHeaders(): the headers go out in the same write as the first chunk, just below.

  const burst = new Burst(res);
  let stopped = false;
  if (opts.stop) {
    opts.stop.now = () => {
      stopped = true;
      // What waits goes out first, then the error event; no [DONE]: the SDKs raise the error.
      burst.end(frame(JSON.stringify(shuttingDown().body)));
    };
  }
  try {
    let next = first;
    while (!next.done) {
      // The provider's own text when the native transport kept it: the same JSON, not serialised a second time.
      // Chunks queued before the client left still come: they are dropped, not written to a closed socket.
      if (cancelled.aborted) break;
      burst.add(frame(providerJson(next.value) ?? JSON.stringify(next.value)));
      // A slow reader: what waits goes out now, and the next chunk is read only once the socket drained.
      if ((res.writableNeedDrain || burst.size() >= BURST_LENGTH) && !burst.flush()) await drainOrClose(res);
      if (cancelled.aborted) break;
      next = await it.next();
    }
    if (cancelled.aborted) {
      burst.discard();
      await it.return?.();
      return stopped ? 'interrupted' : 'cancelled';
    }
    // The last burst and [DONE] leave together.
    burst.end(frame('[DONE]'));
    return 'completed';
  } catch (e) {
    if (cancelled.aborted || res.destroyed) {
      burst.discard();
      return stopped ? 'interrupted' : 'cancelled';
    }
    // The OpenAI SDKs turn a `data: {"error": ...}` event into a thrown APIError on the client side.
    const mapped = mapError(e);
    burst.end(frame(opts.scrub(JSON.stringify(mapped.body))));
    return 'interrupted';
  }
}
