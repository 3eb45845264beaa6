import { APIError } from 'openai';
import type { ChatCompletionChunk } from 'openai/resources/chat/completions';
import { InvalidResponseError } from './classify.js';
import type { AnswerScrubber, ChunkScrubber } from './answer-scrub.js';
import { UNBOUNDED, type MemoryBudget } from './memory-budget.js';
import { objectTag } from './object-tag.js';

/**
 * The provider's own JSON text of each chunk this parser made, so that a proxy can send it on rather than
 * serialise the parsed object again (about 2 µs a chunk in the gateway). Kept only for an event that came
 * as one `data:` line (line ends are LF by then), so the text can be framed again as it is. Carried on the
 * chunk itself as an object tag (object-tag.ts): a WeakMap entry per chunk cost more than the serialisation
 * it saves.
 */
const PROVIDER_TEXT = objectTag<string>();

/** The provider's JSON text of a chunk `SseParser` parsed; undefined for any other object. */
export const providerJson = (chunk: object): string | undefined => PROVIDER_TEXT.get(chunk);

/** What one server-sent event of a chat stream meant. */
export type SseEvent<T> = { readonly kind: 'chunk'; readonly value: T; /** Characters of its JSON text. */ readonly size: number } | { readonly kind: 'done' };

/**
 * Server-sent events from a provider's response, pushed in as the bytes arrive, read as the openai SDK reads
 * them: `data:` lines, one JSON value per event, `[DONE]` ends it, an `error` object inside is the provider
 * failing mid-answer. Push-based so the transport hands each network read straight to the parser: no
 * readable stream or async generator per chunk on the way. The one parser of both transports: the native
 * one pushes undici's reads, the `sdk` one the reads of the fetch body (web-stream.ts). Why it is hand-made
 * rather than eventsource-parser: docs/design.md.
 */
export class SseParser<T> {
  /** The bytes of a character split between two reads (at most 3), until the rest comes. */
  private partial: Uint8Array | undefined;
  /**
   * The start of a line whose end has not arrived yet, in the pieces it came in: joined once, when its end
   * comes. Joining (or searching) the whole of it on every read made a long line cost the square of its length.
   */
  private held: string[] = [];
  private heldChars = 0;
  /** The current event's data lines, joined by LF; undefined before its first one. */
  private data: string | undefined;
  private dataLines = 0;
  /** The last read ended in CR: an LF starting the next one ends the same line. */
  private afterCR = false;
  /** A [DONE] event has been emitted: as the SDK, nothing after it is read. */
  private finished = false;

  /** What this parser holds in `budget` now: its unfinished event. */
  private accounted = 0;
  /** The configured keys, out of each event's text and out of text split across events. */
  private readonly scrubber: AnswerScrubber | undefined;
  private readonly scrubChunk: ChunkScrubber | undefined;

  /**
   * `maxEventChars`: the most an unfinished event may hold between reads (its data lines so far and the line
   * being read); one read's worth more is the most ever held. `budget`: shared with every stream of the
   * router; what the unfinished event holds is taken from it, and given back as events complete.
   * `scrubber`: the configured keys to take out of every chunk (answer-scrub.ts).
   */
  constructor(
    private readonly maxEventChars = Number.POSITIVE_INFINITY,
    private readonly budget: MemoryBudget = UNBOUNDED,
    scrubber?: AnswerScrubber,
  ) {
    this.scrubber = scrubber;
    this.scrubChunk = scrubber?.stream();
  }

  /** Reads nothing more and gives back what it held: the stream is over, however it ended. */
  release(): void {
    this.finished = true;
    this.held.length = 0;
    this.heldChars = 0;
    this.data = undefined;
    this.budget.give(this.accounted);
    this.accounted = 0;
  }

  /**
   * Parses `bytes` and calls `emit` for each complete event. Throws SyntaxError for an event that is not
   * JSON (the classifier makes it `invalid_response`), APIError for an `error` event, and InvalidResponseError
   * for an event longer than the limit, after emitting the events before it. After a [DONE] event it reads
   * nothing more.
   */
  push(bytes: Uint8Array, emit: (event: SseEvent<T>) => void): void {
    if (this.finished) return;
    // Keys are looked for in the read's bytes once, not in each event's text: an event that began in an
    // earlier read (`carried`) is the only one whose text this read's bytes do not wholly hold. Looked for when
    // the first event that needs it ends: a read inside a long event completes none.
    let carried = this.heldChars > 0 || this.data !== undefined || this.partial !== undefined;
    let mayHoldKey: boolean | undefined;
    let decoded = this.decode(bytes);
    // A line may end in CR LF, LF or a lone CR (as the SDK reads it too): made LF here, a CR LF split between
    // two reads included, so the rest looks for LF only.
    if (this.afterCR) {
      this.afterCR = false;
      if (decoded.charCodeAt(0) === LF) decoded = decoded.slice(1);
    }
    if (decoded.indexOf('\r') !== -1) {
      this.afterCR = decoded.charCodeAt(decoded.length - 1) === CR;
      decoded = decoded.replace(CRLF_OR_CR, '\n');
    }
    const first = decoded.indexOf('\n');
    if (first === -1) return this.hold(decoded);
    const text = this.heldChars === 0 ? decoded : this.held.join('') + decoded;
    // The held part has no line end in it: the first one is in what just came.
    let nl = this.heldChars + first;
    this.held.length = 0;
    this.heldChars = 0;
    // Lines are read in place by index: slicing the rest off after every line copied or re-flattened it.
    let start = 0;
    try {
      do {
        const lineStart = start;
        start = nl + 1;
        if (nl > lineStart) {
          if (text.startsWith('data:', lineStart)) {
            const line = text.slice(lineStart + (text.charCodeAt(lineStart + 5) === SPACE ? 6 : 5), nl);
            this.data = this.data === undefined ? line : `${this.data}\n${line}`;
            this.dataLines++;
          }
          continue;
        }
        let payload = this.data;
        if (payload === undefined) continue;
        const single = this.dataLines === 1;
        this.data = undefined;
        this.dataLines = 0;
        if (payload.startsWith('[DONE]')) {
          this.finished = true;
          return emit(DONE);
        }
        if (this.scrubber && (carried || (mayHoldKey ??= this.scrubber.mayHold(bytes)))) payload = this.scrubber.text(payload);
        carried = false;
        const value = JSON.parse(payload) as T & { error?: unknown };
        if (value && typeof value === 'object') {
          if (value.error) throw new APIError(undefined, value.error as object, undefined, undefined);
          // A chunk the scrubber changed is no longer its text: the gateway serialises it again.
          const changed = this.scrubChunk ? this.scrubChunk.apply(value as unknown as ChatCompletionChunk) : false;
          if (single && !changed) PROVIDER_TEXT.set(value, payload);
        }
        emit({ kind: 'chunk', value, size: payload.length });
      } while ((nl = text.indexOf('\n', start)) !== -1);
    } finally {
      if (!this.finished && start < text.length) {
        this.held.push(text.slice(start));
        this.heldChars = text.length - start;
      }
    }
    this.checkSize();
  }

  /**
   * UTF-8 to text, a character split between reads included. One shared non-streaming TextDecoder (Node's
   * fast path) and the split bytes kept here: a streaming TextDecoder per stream opened an ICU converter for
   * each, about 0.5 µs of a gateway's streamed request (the profile's `getConverter`).
   */
  private decode(bytes: Uint8Array): string {
    let input = bytes;
    if (this.partial) {
      input = new Uint8Array(this.partial.length + bytes.length);
      input.set(this.partial);
      input.set(bytes, this.partial.length);
      this.partial = undefined;
    }
    const end = completeUtf8(input);
    if (end < input.length) this.partial = input.slice(end);
    return UTF8.decode(end === input.length ? input : input.subarray(0, end));
  }

  /** Keeps a piece of a line whose end has not come. */
  private hold(piece: string): void {
    if (piece === '') return;
    this.held.push(piece);
    this.heldChars += piece.length;
    this.checkSize();
  }

  /**
   * Holds the unfinished event to the limit, then to the budget (MemoryBudgetError: holding the rest of the
   * event would take the router's streams together past theirs).
   */
  private checkSize(): void {
    const pending = this.heldChars + (this.data?.length ?? 0);
    if (pending > this.maxEventChars) throw new InvalidResponseError(`stream event larger than ${this.maxEventChars} characters`);
    if (pending === this.accounted) return;
    if (pending > this.accounted) this.budget.take(pending - this.accounted);
    else this.budget.give(this.accounted - pending);
    this.accounted = pending;
  }
}

const UTF8 = new TextDecoder();

/**
 * Where the last whole UTF-8 character of `b` ends: `b.length`, unless its last bytes begin a character whose
 * other bytes are still to come. Invalid bytes are left to the decoder (U+FFFD, as a streaming one gives).
 */
export function completeUtf8(b: Uint8Array): number {
  const n = b.length;
  if (n === 0 || b[n - 1]! < 0x80) return n;
  // Back over at most 3 continuation bytes (10xxxxxx) to the lead byte.
  let i = n - 1;
  while (i > n - 4 && i > 0 && (b[i]! & 0xc0) === 0x80) i--;
  const lead = b[i]!;
  const size = lead >= 0xf0 ? 4 : lead >= 0xe0 ? 3 : lead >= 0xc0 ? 2 : 1;
  return n - i < size ? i : n;
}
const CR = 13;
const LF = 10;
const CRLF_OR_CR = /\r\n?/g;
const SPACE = 32;
const DONE = { kind: 'done' } as const;
