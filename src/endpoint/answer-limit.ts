import { InvalidResponseError } from './classify.js';

/**
 * The most of one answer a transport holds by default, in bytes: a plain answer's or an error's body, or one
 * event of a stream. A provider sending more has its connection cut instead of the process buffering until
 * memory runs out.
 */
export const DEFAULT_MAX_ANSWER_BYTES = 32 * 1024 * 1024;

/** `maxAnswerBytes` as given, or the default; a RangeError quoting it when it is not a positive number. */
export function maxAnswerBytes(given: number | undefined): number {
  const bytes = given ?? DEFAULT_MAX_ANSWER_BYTES;
  if (!(bytes > 0)) throw new RangeError(`maxAnswerBytes must be a positive number of bytes, got ${String(given)}`);
  return bytes;
}

/** What a body over the limit fails with, on either transport: `invalid_response`. */
export const answerTooLarge = (maxBytes: number) => new InvalidResponseError(`answer larger than ${maxBytes} bytes`);
