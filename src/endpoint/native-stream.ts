import type { ChatCompletionChunk } from 'openai/resources/chat/completions';
import { AFTER_DONE_MS } from './answer-limit.js';
import type { AnswerScrubber } from './answer-scrub.js';
import type { MemoryBudget } from './memory-budget.js';
import { PushedStream } from './pushed-stream.js';
import { SseParser, type SseEvent } from './sse.js';
import type { Cancellation, ChunkStream } from './transport.js';

/*
 * A 2xx event stream's body, fed in as it arrives (by the native transport's dispatch handler, or by the
 * reader of a fetch body: web-stream.ts), read out by the router as chat completion chunks. The same parser,
 * limits and flow control for both transports.
 */

/** Chunks a slow reader may leave queued before the connection is paused. */
const STREAM_HIGH_WATER = 64;
/**
 * Characters of queued chunks before the connection is paused: a reader that stops reading holds about this
 * much, plus the read that crossed it (at most one event over the limit), however large the events.
 */
const STREAM_HIGH_WATER_BYTES = 512 * 1024;

/** What one stream may hold, and what all of them together may. */
export interface StreamLimits {
  /** The longest event, in characters of its data (bytes for ASCII JSON). */
  readonly maxEventBytes: number;
  /** Shared by every stream of the router. */
  readonly budget?: MemoryBudget;
  /** The configured keys, taken out of every chunk. */
  readonly scrubber?: AnswerScrubber;
}

/** Where a streamed answer's body goes as it arrives. */
export interface BodySink {
  data(chunk: Uint8Array): void;
  end(): void;
  /** The connection failed or was cut, as the SDK's class. */
  error(e: Error): void;
}

/** The connection under the stream: paused while the reader is behind. */
export interface Flow {
  pause(): void;
  resume(): void;
}

/**
 * A 2xx event stream: the body's bytes parsed as they arrive and queued for the reader. The reader stopping
 * early, or a bad event, cuts the connection (`cut`) unless the body is already complete.
 */
export function eventStream(abort: Cancellation, flow: Flow, cut: () => void, limits: StreamLimits): { stream: ChunkStream; sink: BodySink } {
  const parser = new SseParser<ChatCompletionChunk>(limits.maxEventBytes, limits.budget, limits.scrubber);
  let stopped = false;
  let ended = false;
  let lingering: NodeJS.Timeout | undefined;
  const stop = () => {
    stopped = true;
    parser.release();
    cut();
  };
  const over = () => {
    ended = true;
    parser.release();
    if (lingering) clearTimeout(lingering);
  };
  const chunks = new PushedStream<ChatCompletionChunk>({
    highWater: STREAM_HIGH_WATER,
    highWaterBytes: STREAM_HIGH_WATER_BYTES,
    ...(limits.budget ? { budget: limits.budget } : {}),
    pause: () => flow.pause(),
    resume: () => flow.resume(),
    stopped: stop,
  });
  // The parser emits [DONE] once and reads nothing after it.
  const emit = (e: SseEvent<ChatCompletionChunk>) => {
    if (e.kind === 'chunk') return chunks.push(e.value, e.size);
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
  // An abort (the router's, at a timeout or a cancel) also drops what is queued, so that its sizes go back
  // to the budget even when no reader ever comes back for them.
  return { stream: { [Symbol.asyncIterator]: () => chunks, controller: { abort: () => void chunks.return() } }, sink };
}
