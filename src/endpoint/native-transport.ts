import type { IncomingHttpHeaders } from 'node:http';
import { APIConnectionError, APIError, APIUserAbortError } from 'openai';
import { Pool, type Dispatcher } from 'undici';
import { answerTooLarge, maxAnswerBytes, maxEventBytes } from './answer-limit.js';
import type { AnswerScrubber } from './answer-scrub.js';
import type { MemoryBudget } from './memory-budget.js';
import { continueSkippingConnector } from './skip-continue.js';
import { eventStream, type BodySink, type StreamLimits } from './native-stream.js';
import { tagHeaders } from './answer-headers.js';
import { JsonAnswer, type Cancellation, type Transport } from './transport.js';

export interface NativeTransportOptions {
  readonly baseURL: string;
  readonly apiKey?: string | undefined;
  readonly headers?: Record<string, string> | undefined;
  /** A query string for every call (Azure's `api-version=…`), without its `?`. */
  readonly query?: string | undefined;
  /** Connections kept open to the provider at most; calls beyond them wait for one. Default 1024. */
  readonly connections?: number;
  /**
   * The most of one answer held in memory, in bytes: a plain answer's or an error's body. A provider sending
   * more has its connection cut and the attempt counts as `invalid_response` (an error status stays that
   * status's outcome), instead of the process buffering until memory runs out. Default 32 MB.
   */
  readonly maxAnswerBytes?: number;
  /** The longest event of a stream (`limits.maxEventBytes`); default DEFAULT_MAX_EVENT_BYTES. */
  readonly maxEventBytes?: number;
  /** Shared by every stream of the router (`limits.maxStreamBytes`); default: unbounded. */
  readonly budget?: MemoryBudget;
  /** The configured keys, taken out of every successful answer, plain or streamed; default: none. */
  readonly scrubber?: AnswerScrubber;
}

const EMPTY = Buffer.alloc(0);

const ok = (status: number) => status >= 200 && status < 300;
/**
 * The SDK's own test (an `application/json` or `+json` media type), so that an answer the SDK transport
 * would take for text (`text/json`, `application/x-json-stream`) is not parsed here, and fails alike.
 */
function isJson(headers: IncomingHttpHeaders): boolean {
  const type = headers['content-type'];
  if (type === undefined) return false;
  const semi = type.indexOf(';');
  const media = (semi === -1 ? type : type.slice(0, semi)).trim();
  return media.includes('application/json') || media.endsWith('+json');
}

/** A non-2xx answer, as the SDK would throw it: the subclass for the status, with the headers (Retry-After). */
function failure(status: number, headers: IncomingHttpHeaders, text: string): APIError {
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch {
    parsed = undefined;
  }
  const h = new Headers();
  for (const [k, v] of Object.entries(headers)) {
    try {
      if (typeof v === 'string') h.set(k, v);
    } catch {
      // A header value fetch's Headers refuses is one the classifier never reads.
    }
  }
  return APIError.generate(status, parsed as object | undefined, undefined, h);
}

/** The SDK's class for a request that failed before an answer: aborted by us, or the connection's fault. */
const connectionError = (abort: Cancellation, e: Error) => (abort.aborted ? new APIUserAbortError() : new APIConnectionError({ cause: e }));

/** What a call does with its answer. */
interface Answer {
  /**
   * Status and headers arrived: a sink for the body's bytes, or nothing to get the whole body in `end`.
   * `cut` cuts the connection unless the body is already complete (its socket may be back in the pool).
   */
  start(status: number, headers: IncomingHttpHeaders, controller: Dispatcher.DispatchController, cut: () => void): BodySink | undefined;
  end(status: number, headers: IncomingHttpHeaders, body: Buffer): void;
  /** No answer (or no whole body) came, as the SDK's class. */
  error(e: Error): void;
}

/**
 * A keep-alive client for one provider over undici's connection pool: the OpenAI chat API without the SDK's
 * per-call machinery (fetch, web streams, AbortSignals), which costs several times the rest of a gateway
 * request, and cheaper per call than `node:http`'s client too (bench/RESULTS.md).
 */
export function nativeTransport(opts: NativeTransportOptions): Transport {
  const maxBytes = maxAnswerBytes(opts.maxAnswerBytes);
  const scrubber = opts.scrubber;
  const limits: StreamLimits = {
    maxEventBytes: maxEventBytes(opts.maxEventBytes),
    ...(opts.budget ? { budget: opts.budget } : {}),
    ...(scrubber ? { scrubber } : {}),
  };
  const base = new URL(opts.baseURL.endsWith('/') ? opts.baseURL : `${opts.baseURL}/`);
  const url = new URL('chat/completions', base);
  // No header or body time limit of undici's own (300 s by default): the router times every attempt and
  // request, possibly for longer, and a limit here would end a slow answer early as a connection error.
  const pool = new Pool(url.origin, {
    connections: opts.connections ?? 1024,
    pipelining: 1,
    headersTimeout: 0,
    bodyTimeout: 0,
    // A `100 Continue` the provider sends unasked is skipped: the answer after it is what counts.
    connect: continueSkippingConnector(),
  });
  const path = opts.query ? `${url.pathname}?${opts.query}` : `${url.pathname}${url.search}`;
  // The provider's own headers (its key, its extra headers), set on every call; undefined when none.
  const own: Record<string, string> = { ...(opts.apiKey ? { authorization: `Bearer ${opts.apiKey}` } : {}), ...opts.headers };
  const fixed = Object.keys(own).length > 0 ? own : undefined;

  /**
   * Sends the request and feeds its answer to `answer`. An abort cuts the connection until the answer is
   * complete; after that the socket may be back in the pool, and is left alone. `answer.error` gets every
   * failure as the SDK's class.
   */
  function post(body: object, text: string | undefined, abort: Cancellation, extra: Record<string, string> | undefined, accept: string, answer: Answer): void {
    if (abort.aborted) return answer.error(new APIUserAbortError());
    const headers: Record<string, string> = { 'content-type': 'application/json' };
    if (fixed) Object.assign(headers, fixed);
    if (extra) Object.assign(headers, extra);
    // Ours whatever a configured or forwarded header said.
    headers.accept = accept;
    let controller: Dispatcher.DispatchController | undefined;
    let complete = false;
    let status = 0;
    let received: IncomingHttpHeaders = {};
    let sink: BodySink | undefined;
    let chunks: Buffer[] = [];
    let size = 0;
    /** The body passed `maxBytes`: the answer has failed, and what undici reports after the cut is ignored. */
    let tooLarge = false;
    const cut = () => {
      if (!complete) controller?.abort(new APIUserAbortError());
    };
    abort.onAbort(() => {
      if (complete) return;
      if (controller) cut();
      // Still queued for a connection: settle now, and cut it when it gets one (onRequestStart).
      else answer.error(new APIUserAbortError());
    });
    pool.dispatch(
      { path, method: 'POST', headers, body: text ?? JSON.stringify(body) },
      {
        onRequestStart(c) {
          controller = c;
          // Aborted while the request waited for a connection.
          if (abort.aborted) c.abort(new APIUserAbortError());
        },
        onResponseStart(c, s, h) {
          abort.heard?.();
          status = s;
          received = h;
          sink = answer.start(s, h, c, cut);
        },
        onResponseData(_c, chunk) {
          if (sink) return sink.data(chunk);
          if (tooLarge) return;
          size += chunk.length;
          if (size <= maxBytes) return void chunks.push(chunk);
          tooLarge = true;
          chunks = [];
          cut();
          // An error status is known before its body: a huge 500 or 429 is still that status (and keeps its
          // Retry-After), as the SDK would classify it, not a malformed answer. Its text is not needed.
          if (!ok(status)) answer.end(status, received, EMPTY);
          else answer.error(answerTooLarge(maxBytes));
        },
        onResponseEnd() {
          complete = true;
          if (sink) return sink.end();
          if (tooLarge) return;
          answer.end(status, received, chunks.length === 1 ? chunks[0]! : Buffer.concat(chunks));
          chunks = [];
        },
        onResponseError(_c, e) {
          complete = true;
          if (tooLarge) return;
          // An error status that came before the cut (a 413 sent while the body was still going up, then a
          // reset) is the provider's verdict: the cut is how it ended the exchange, not a connection failure.
          if (!sink && status >= 400 && !abort.aborted) return answer.end(status, received, Buffer.concat(chunks));
          const err = connectionError(abort, e);
          if (sink) sink.error(err);
          else answer.error(err);
        },
      },
    );
  }

  return {
    complete(body, abort, headers, text) {
      return new Promise((resolve, reject) => {
        post(body, text, abort, headers, 'application/json', {
          start: () => undefined,
          end(status, h, bytes) {
            let text = bytes.toString('utf8');
            if (!ok(status)) return reject(failure(status, h, text));
            if (scrubber?.mayHold(bytes)) {
              const clean = scrubber.text(text);
              if (clean !== text) {
                text = clean;
                bytes = Buffer.from(clean);
              }
            }
            // As the SDK: JSON when the content type says so (a parse error is the provider's), else the raw text.
            if (!isJson(h)) return resolve(text);
            try {
              resolve(new JsonAnswer(tagHeaders(JSON.parse(text) as unknown, h), bytes));
            } catch (parseError) {
              reject(parseError);
            }
          },
          error: reject,
        });
      });
    },
    stream(body, abort, headers, text) {
      return new Promise((resolve, reject) => {
        post(body, text, abort, headers, 'text/event-stream', {
          start(status, h, controller, cut) {
            if (!ok(status)) return undefined;
            const events = eventStream(abort, controller, cut, limits);
            resolve(tagHeaders(events.stream, h));
            return events.sink;
          },
          end: (status, h, bytes) => reject(failure(status, h, bytes.toString('utf8'))),
          error: reject,
        });
      });
    },
    close: () => void pool.destroy().catch(() => undefined),
  };
}
