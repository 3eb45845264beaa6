import type { IncomingHttpHeaders } from 'node:http';
import type { Readable } from 'node:stream';
import { APIConnectionError, APIError, APIUserAbortError } from 'openai';
import type { ChatCompletionChunk } from 'openai/resources/chat/completions';
import { Pool } from 'undici';
import { tagHeaders } from '../endpoint/answer-headers.js';
import { answerTooLarge, maxAnswerBytes, maxEventBytes } from '../endpoint/answer-limit.js';
import type { AnswerScrubber } from '../endpoint/answer-scrub.js';
import { signalOf, type Cancellation } from '../endpoint/cancellation.js';
import type { MemoryBudget } from '../endpoint/memory-budget.js';
import { continueSkippingConnector } from '../endpoint/skip-continue.js';
import { SseParser } from '../endpoint/sse.js';
import type { ChunkStream, Transport } from '../endpoint/transport.js';
import type { Codec, DecodeContext, StreamDecoder } from './codec.js';
import { isUnsupportedParameterError } from './errors.js';

export interface CodecTransportOptions {
  readonly baseURL: string;
  readonly codec: Codec;
  /** Connections kept open to the provider at most. Default 1024. */
  readonly connections?: number;
  /** The most of one plain or error answer held, in bytes (see NativeTransportOptions). */
  readonly maxAnswerBytes?: number;
  readonly maxEventBytes?: number;
  readonly budget?: MemoryBudget;
  readonly scrubber?: AnswerScrubber;
}

const ok = (status: number) => status >= 200 && status < 300;

function fetchHeaders(h: IncomingHttpHeaders): Headers {
  const out = new Headers();
  for (const [k, v] of Object.entries(h)) {
    try {
      if (typeof v === 'string') out.set(k, v);
    } catch {
      // A value fetch's Headers refuses is one the classifier never reads.
    }
  }
  return out;
}

/** The SDK's class for a request that failed before or while answering: aborted by us, or the connection. */
const connectionError = (abort: Cancellation, e: unknown) =>
  abort.aborted ? new APIUserAbortError() : new APIConnectionError({ cause: e instanceof Error ? e : new Error(String(e)) });

/** The whole body, up to `max` bytes: beyond, the connection is cut and the answer is too large. */
async function readAll(body: Readable, max: number): Promise<Buffer> {
  const parts: Buffer[] = [];
  let size = 0;
  for await (const piece of body as AsyncIterable<Buffer>) {
    size += piece.length;
    if (size > max) {
      body.destroy();
      throw answerTooLarge(max);
    }
    parts.push(piece);
  }
  return Buffer.concat(parts);
}

const hasContent = (c: ChatCompletionChunk) =>
  c.choices.some((ch) => (typeof ch.delta.content === 'string' && ch.delta.content !== '') || (ch.delta.tool_calls?.length ?? 0) > 0 || !!ch.delta.refusal);

/**
 * A provider of another wire format (Anthropic, Gemini) behind the Transport interface: the codec maps the
 * OpenAI request to the provider's and its answers, streams and errors back, so the router, the classifier
 * and the gateway see what an OpenAI endpoint would give them. Over undici's pool as the native transport;
 * failures are the openai SDK's error classes.
 */
export function codecTransport(opts: CodecTransportOptions): Transport {
  const { codec, scrubber } = opts;
  const maxBytes = maxAnswerBytes(opts.maxAnswerBytes);
  const maxEvent = maxEventBytes(opts.maxEventBytes);
  const base = new URL(opts.baseURL.endsWith('/') ? opts.baseURL : `${opts.baseURL}/`);
  const pool = new Pool(base.origin, { connections: opts.connections ?? 1024, pipelining: 1, headersTimeout: 0, bodyTimeout: 0, connect: continueSkippingConnector() });

  async function send(params: Parameters<Transport['complete']>[0], abort: Cancellation, extra: Record<string, string> | undefined, stream: boolean) {
    // Refusals (UnsupportedParameterError) happen here, before any connection is used.
    const encoded = codec.encode(params, stream);
    if (abort.aborted) throw new APIUserAbortError();
    const url = new URL(encoded.path, base);
    // Forwarded headers first, so that they cannot replace the provider's key or version.
    const headers = { ...extra, ...codec.headers, 'content-type': 'application/json', accept: stream ? 'text/event-stream' : 'application/json' };
    let res;
    try {
      res = await pool.request({ path: `${url.pathname}${url.search}`, method: 'POST', headers, body: JSON.stringify(encoded.body), signal: signalOf(abort) });
    } catch (e) {
      throw connectionError(abort, e);
    }
    abort.heard?.();
    if (!ok(res.statusCode)) {
      let text = '';
      try {
        text = (await readAll(res.body, maxBytes)).toString('utf8');
      } catch (e) {
        // A huge or cut error body is still that status.
        if (abort.aborted) throw new APIUserAbortError();
        void e;
      }
      let parsed: unknown;
      try {
        parsed = JSON.parse(text);
      } catch {
        parsed = undefined;
      }
      const mapped = codec.failure(res.statusCode, parsed);
      throw APIError.generate(mapped.status, mapped.body as object | undefined, undefined, fetchHeaders(res.headers));
    }
    return { res, context: encoded.context };
  }

  function chunks(body: Readable, decoder: StreamDecoder, abort: Cancellation, headers: IncomingHttpHeaders): ChunkStream {
    const scrub = scrubber?.stream();
    async function* iterate(): AsyncGenerator<ChatCompletionChunk> {
      // The keys come out of each event's text before it is decoded: an id or a model name the decoder carries
      // into every chunk is not a text delta the chunk scrubber below would read.
      const parser = new SseParser<unknown>(maxEvent, opts.budget, scrubber);
      let content = false;
      const out: ChatCompletionChunk[] = [];
      const take = (c: ChatCompletionChunk) => {
        if (scrub) scrub.apply(c);
        if (hasContent(c)) content = true;
        return c;
      };
      try {
        try {
          for await (const piece of body as AsyncIterable<Buffer>) {
            let failed: unknown;
            try {
              parser.push(piece, (e) => {
                if (e.kind === 'chunk') for (const c of decoder.event(e.value)) out.push(c);
              });
            } catch (e) {
              failed = e;
            }
            for (const c of out) yield take(c);
            out.length = 0;
            if (failed !== undefined) throw failed;
          }
        } catch (e) {
          if (e instanceof APIError && e.status === undefined && !content) {
            // An error event before any content (Anthropic's overloaded_error after a 200): the attempt failed
            // as the status it stands for, and falls back. After content it ends the stream as an error event.
            const status = codec.streamFailureStatus(e.error);
            throw APIError.generate(status, codec.failure(status, { error: e.error }).body as object, undefined, fetchHeaders(headers));
          }
          if (e instanceof Error && (e.name === 'SyntaxError' || e instanceof APIError || 'isInvalidResponseError' in e || 'isMemoryBudgetError' in e)) throw e;
          throw connectionError(abort, e);
        }
        for (const c of decoder.end()) yield take(c);
      } finally {
        parser.release();
        body.destroy();
      }
    }
    const it = iterate();
    return { controller: { abort: () => void body.destroy() }, [Symbol.asyncIterator]: () => it };
  }

  return {
    async complete(params, abort, extra) {
      const { res, context } = await send(params, abort, extra, false);
      let bytes: Buffer;
      try {
        bytes = await readAll(res.body, maxBytes);
      } catch (e) {
        if (e instanceof Error && 'isInvalidResponseError' in e) throw e;
        throw connectionError(abort, e);
      }
      const answer = codec.decode(JSON.parse(bytes.toString('utf8')) as unknown, context satisfies DecodeContext);
      return tagHeaders(scrubber ? scrubber.value(answer) : answer, res.headers);
    },
    async stream(params, abort, extra) {
      const { res, context } = await send(params, abort, extra, true);
      return tagHeaders(chunks(res.body, codec.decoder(context), abort, res.headers), res.headers);
    },
    refusal(params, stream) {
      try {
        codec.encode(params, stream);
        return undefined;
      } catch (e) {
        if (isUnsupportedParameterError(e)) return e;
        // Anything else is not a refusal: the attempt meets it again and it is classified there.
        return undefined;
      }
    },
    close: () => void pool.destroy().catch(() => undefined),
  };
}
