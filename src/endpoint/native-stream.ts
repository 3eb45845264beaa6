import type { ChatCompletionChunk } from 'openai/resources/chat/completions';
import type { Dispatcher } from 'undici';
import { AFTER_DONE_MS } from './answer-limit.js';
import { PushedStream } from './pushed-stream.js';
import { SseParser, type SseEvent } from './sse.js';
import type { Cancellation, ChunkStream } from './transport.js';

/*
 * The native transport's streamed answers: a 2xx event stream's body, fed in by the transport's dispatch
 * handler as it arrives, read out by the router as chat completion chunks.
 */

/** Chunks a slow reader may leave queued before the connection is paused. */
const STREAM_HIGH_WATER = 64;

/** Where a streamed answer's body goes as it arrives. */
export interface BodySink {
  data(chunk: Buffer): void;
  end(): void;
  /** The connection failed or was cut, as the SDK's class. */
  error(e: Error): void;
}

/**
 * A 2xx event stream: the body's bytes parsed as they arrive and queued for the reader. The reader stopping
 * early, or a bad event, cuts the connection unless the body is already complete.
 */
export function eventStream(
  abort: Cancellation,
  controller: Dispatcher.DispatchController,
  cut: () => void,
  maxEventBytes: number,
): { stream: ChunkStream; sink: BodySink } {
  const parser = new SseParser<ChatCompletionChunk>(maxEventBytes);
  let stopped = false;
  let ended = false;
  let lingering: NodeJS.Timeout | undefined;
  const stop = () => {
    stopped = true;
    cut();
  };
  const over = () => {
    ended = true;
    if (lingering) clearTimeout(lingering);
  };
  const chunks = new PushedStream<ChatCompletionChunk>({
    highWater: STREAM_HIGH_WATER,
    pause: () => controller.pause(),
    resume: () => controller.resume(),
    stopped: stop,
  });
  // The parser emits [DONE] once and reads nothing after it.
  const emit = (e: SseEvent<ChatCompletionChunk>) => {
    if (e.kind === 'chunk') return chunks.push(e.value);
    chunks.end();
    // Looked at once this read is handled: a body's end that came in the same read has been seen by then.
    queueMicrotask(() => {
      if (!ended && !stopped) lingering = setTimeout(stop, AFTER_DONE_MS).unref();
    });
  };
  const sink: BodySink = {
    data(bytes) {
      try {
        parser.push(bytes, emit);
      } catch (e) {
        // A bad event is the provider's answer: the reader gets it after the events before it.
        chunks.fail(e);
        stop();
      }
    },
    end() {
      over();
      chunks.end();
    },
    error(e) {
      over();
      // Like the SDK: an abort (caller, timeout) ends the stream quietly; the router knows why it aborted.
      if (stopped || abort.aborted) chunks.end();
      else chunks.fail(e);
    },
  };
  return { stream: { [Symbol.asyncIterator]: () => chunks, controller: { abort: stop } }, sink };
}
