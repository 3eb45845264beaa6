import { InvalidResponseError } from './classify.js';

/**
 * The most of one answer a transport holds by default, in bytes: a plain answer's or an error's body. A
 * provider sending more has its connection cut instead of the process buffering until memory runs out.
 */
export const DEFAULT_MAX_ANSWER_BYTES = 32 * 1024 * 1024;

/**
 * The longest event of a stream by default (`limits.maxEventBytes`): a chat chunk is a few hundred bytes, a
 * large tool call's arguments or a base64 image in one event some hundreds of KB.
 */
export const DEFAULT_MAX_EVENT_BYTES = 4 * 1024 * 1024;

/** `maxEventBytes` as given, or the default; a RangeError quoting it when it is not a positive number. */
export function maxEventBytes(given: number | undefined): number {
  const bytes = given ?? DEFAULT_MAX_EVENT_BYTES;
  if (!(bytes > 0)) throw new RangeError(`maxEventBytes must be a positive number of bytes, got ${String(given)}`);
  return bytes;
}

/** `maxAnswerBytes` as given, or the default; a RangeError quoting it when it is not a positive number. */
export function maxAnswerBytes(given: number | undefined): number {
  const bytes = given ?? DEFAULT_MAX_ANSWER_BYTES;
  if (!(bytes > 0)) throw new RangeError(`maxAnswerBytes must be a positive number of bytes, got ${String(given)}`);
  return bytes;
}

/** What a body over the limit fails with, on either transport: `invalid_response`. */
export const answerTooLarge = (maxBytes: number) => new InvalidResponseError(`answer larger than ${maxBytes} bytes`);

/**
 * How long a provider may keep a stream's connection open after its `[DONE]` event. The reader has its end at
 * once; the connection is cut only if the body has not ended by then. Cutting at once would lose the
 * keep-alive connection whenever the body's end comes in a packet after the [DONE]; never cutting would let a
 * provider that keeps the body open hold a pooled connection, and go on feeding the parser, for good.
 */
export const AFTER_DONE_MS = 5_000;
