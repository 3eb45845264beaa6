import { AFTER_DONE_MS, answerTooLarge, maxAnswerBytes } from './answer-limit.js';
import { InvalidResponseError } from './classify.js';

/**
 * Set in a call's `fetchOptions` by the SDK transport's `stream()`: the answer is read event by event, so only
 * an event, not the whole body, is bounded. A symbol, so no fetch of a caller's can mistake it for an option.
 */
export const STREAMED_ANSWER = Symbol('switchyard.streamedAnswer');

/**
 * Set in a call's `fetchOptions` by the SDK transport: called when the answer's headers arrive (see
 * `Cancellation.heard`).
 */
export const ANSWER_HEARD = Symbol('switchyard.answerHeard');

const eventTooLarge = (maxBytes: number) => new InvalidResponseError(`stream event larger than ${maxBytes} bytes`);

const LF = 0x0a;
const CR = 0x0d;

/**
 * Counts the bytes of the server-sent event being read: a line end right after another (`\n\n`, `\r\n\r\n`,
 * `\r\r`) ends the event. `\r\n` is one line end, even split across two reads. Also notes the end of a
 * `[DONE]` event (one whose data starts with it, as the SDK tests), after which the SDK reads nothing.
 */
export class EventMeter {
  private pending = 0;
  private atLineStart = true;
  private afterCR = false;
  /** The current line's first bytes, enough to tell `data: [DONE]`. */
  private head = '';
  /** The current event's first data line has been read; `doneEvent`: it said [DONE]. */
  private hadData = false;
  private doneEvent = false;
  /** A [DONE] event has ended. */
  done = false;

  /** Bytes of the unfinished event after `bytes`. */
  add(bytes: Uint8Array): number {
    let { pending, atLineStart, afterCR } = this;
    for (let i = 0; i < bytes.length; i++) {
      const b = bytes[i]!;
      if (b === LF && afterCR) {
        afterCR = false;
        continue;
      }
      afterCR = b === CR;
      if (b === LF || b === CR) {
        if (atLineStart) {
          pending = 0;
          if (this.doneEvent) this.done = true;
          this.hadData = this.doneEvent = false;
        } else {
          atLineStart = true;
          this.lineEnded();
        }
        continue;
      }
      if (this.head.length < HEAD_BYTES) this.head += String.fromCharCode(b);
      atLineStart = false;
      pending++;
    }
    this.atLineStart = atLineStart;
    this.afterCR = afterCR;
    this.pending = pending;
    return pending;
  }

  private lineEnded(): void {
    const head = this.head;
    this.head = '';
    if (this.hadData || !head.startsWith('data:')) return;
    this.hadData = true;
    this.doneEvent = head.startsWith('[DONE]', head.charCodeAt(5) === SPACE ? 6 : 5);
  }
}

const HEAD_BYTES = 12;
const SPACE = 0x20;

/**
 * Wraps a `fetch` so that no answer is held past `maxBytes`: a body (a plain answer's, or any error's) in
 * all, an `ok` streamed answer per event. Past it the body errors with InvalidResponseError and the
 * connection is cut: the SDK then rejects a plain answer with that error, throws it from a stream after the
 * events before, and reads an error body only that far, keeping the status's class. An answer that declares
 * its length within the limit, uncompressed, is passed on untouched: the HTTP parser holds it to that length.
 */
export function boundedFetch(fetchImpl: typeof fetch, limit?: number): typeof fetch {
  const maxBytes = maxAnswerBytes(limit);
  return async (input, init) => {
    let streamed = false;
    let heard: (() => void) | undefined;
    if (init && (STREAMED_ANSWER in init || ANSWER_HEARD in init)) {
      const { [STREAMED_ANSWER]: flag, [ANSWER_HEARD]: onHeard, ...rest } = init as RequestInit & {
        [STREAMED_ANSWER]?: boolean;
        [ANSWER_HEARD]?: () => void;
      };
      streamed = flag === true;
      heard = onHeard;
      init = rest;
    }
    const response = await fetchImpl(input, init);
    heard?.();
    const body = response.body;
    if (!body) return response;
    // A compressed body's declared length is not what decompressing it holds.
    const encoding = response.headers.get('content-encoding');
    if ((!encoding || encoding === 'identity') && Number(response.headers.get('content-length') ?? Number.NaN) <= maxBytes) return response;
    let check: Check;
    if (streamed && response.ok) {
      const meter = new EventMeter();
      check = (chunk) => (meter.add(chunk) > maxBytes ? eventTooLarge(maxBytes) : meter.done ? 'done' : undefined);
    } else {
      let total = 0;
      check = (chunk) => ((total += chunk.byteLength) > maxBytes ? answerTooLarge(maxBytes) : undefined);
    }
    return new Response(metered(body, check), { status: response.status, statusText: response.statusText, headers: response.headers });
  };
}

/** What a chunk means for the body: too large (the error), a [DONE] event has ended (`done`), or nothing. */
type Check = (chunk: Uint8Array) => InvalidResponseError | 'done' | undefined;

/**
 * `body`, checked chunk by chunk: the first chunk `check` objects to errors the stream and cancels the body,
 * which cuts the connection. A [DONE] event ends the stream there, for the SDK's reading to end at once; the
 * rest of the body is read off and dropped, for the connection to go back to the pool, for AFTER_DONE_MS at
 * most. A pull source rather than `pipeThrough` a TransformStream: measured side by side over the SDK, a
 * streamed call cost about 200 µs more CPU through the pipe and under 50 through this.
 */
function metered(body: ReadableStream<Uint8Array>, check: Check): ReadableStream<Uint8Array> {
  const reader = body.getReader();
  return new ReadableStream<Uint8Array>({
    async pull(controller) {
      const read = await reader.read();
      if (read.done) return controller.close();
      const verdict = check(read.value);
      if (verdict instanceof InvalidResponseError) {
        controller.error(verdict);
        return void reader.cancel(verdict).catch(() => undefined);
      }
      controller.enqueue(read.value);
      if (verdict === 'done') {
        controller.close();
        void readOff(reader);
      }
    },
    cancel: (reason) => reader.cancel(reason),
  });
}

/** Reads the body to its end, dropping what comes, or cancels it when the end has not come within AFTER_DONE_MS. */
async function readOff(reader: ReadableStreamDefaultReader<Uint8Array>): Promise<void> {
  let timer: NodeJS.Timeout | undefined;
  const late = new Promise<undefined>((resolve) => (timer = setTimeout(() => resolve(undefined), AFTER_DONE_MS).unref()));
  try {
    for (;;) {
      const read = await Promise.race([reader.read(), late]);
      if (read === undefined) return void reader.cancel().catch(() => undefined);
      if (read.done) return;
    }
  } catch {
    // The answer was whole at its [DONE]: a failure after it changes nothing.
  } finally {
    clearTimeout(timer);
  }
}
