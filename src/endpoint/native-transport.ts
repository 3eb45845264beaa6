import http, { type IncomingMessage, type OutgoingHttpHeaders } from 'node:http';
import https from 'node:https';
import { APIConnectionError, APIError, APIUserAbortError } from 'openai';
import type { ChatCompletionChunk } from 'openai/resources/chat/completions';
import { sseChunks } from './sse.js';
import type { Cancellation, Transport } from './transport.js';

export interface NativeTransportOptions {
  readonly baseURL: string;
  readonly apiKey?: string | undefined;
  readonly headers?: Record<string, string> | undefined;
}

const ok = (res: IncomingMessage) => (res.statusCode ?? 0) >= 200 && (res.statusCode ?? 0) < 300;
const isJson = (res: IncomingMessage) => /\bjson\b/i.test(res.headers['content-type'] ?? '');

/** A non-2xx answer, as the SDK would throw it: the subclass for the status, with the headers (Retry-After). */
function failure(res: IncomingMessage, text: string): APIError {
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch {
    parsed = undefined;
  }
  const headers = new Headers();
  for (const [k, v] of Object.entries(res.headers)) if (typeof v === 'string') headers.set(k, v);
  return APIError.generate(res.statusCode ?? 500, parsed as object | undefined, undefined, headers);
}

/**
 * A keep-alive `node:http(s)` client for one provider: the OpenAI chat API without the SDK's per-call
 * machinery. Written against events rather than async iterators and AbortSignals, which cost more per call
 * than the rest of the request's handling here.
 */
export function nativeTransport(opts: NativeTransportOptions): Transport {
  const base = new URL(opts.baseURL.endsWith('/') ? opts.baseURL : `${opts.baseURL}/`);
  const url = new URL('chat/completions', base);
  const secure = url.protocol === 'https:';
  const agent = new (secure ? https : http).Agent({ keepAlive: true, maxSockets: 1024 });
  // Resolved once: `request(url)` would convert the URL to options on every call.
  const host = url.hostname.startsWith('[') ? url.hostname.slice(1, -1) : url.hostname;
  const port = url.port || (secure ? 443 : 80);
  const path = `${url.pathname}${url.search}`;
  const send = (secure ? https : http).request;
  // The provider's own headers (its key, its extra headers), set on every call; undefined when none.
  const own: Record<string, string> = { ...(opts.apiKey ? { authorization: `Bearer ${opts.apiKey}` } : {}), ...opts.headers };
  const fixed = Object.keys(own).length > 0 ? own : undefined;

  /**
   * Sends the request and hands the answer to `onResponse`; every error reaches `fail` as the SDK's class
   * (callers settle a promise with both: whatever comes second is a no-op). An abort cuts the connection
   * until the answer's body is complete; after that its socket may be back in the pool, and is left alone.
   */
  function post(
    body: object,
    abort: Cancellation,
    extra: Record<string, string> | undefined,
    accept: string,
    fail: (e: Error) => void,
    onResponse: (res: IncomingMessage) => void,
  ): void {
    if (abort.aborted) return fail(new APIUserAbortError());
    const payload = JSON.stringify(body);
    const headers: OutgoingHttpHeaders = { 'content-type': 'application/json' };
    if (fixed) Object.assign(headers, fixed);
    if (extra) Object.assign(headers, extra);
    // Ours whatever a configured or forwarded header said.
    headers.accept = accept;
    headers['content-length'] = Buffer.byteLength(payload);
    const req = send({ agent, host, port, path, method: 'POST', headers });
    let response: IncomingMessage | undefined;
    abort.onAbort(() => {
      if (!response?.complete) req.destroy();
    });
    req.once('error', (e) => fail(abort.aborted ? new APIUserAbortError() : new APIConnectionError({ cause: e })));
    req.once('response', (res: IncomingMessage) => {
      response = res;
      onResponse(res);
    });
    req.end(payload);
  }

  /** Reads the whole body; `cb` gets it once, or an error if the connection dies first. */
  function readAll(res: IncomingMessage, abort: Cancellation, cb: (e: Error | undefined, text: string) => void): void {
    res.setEncoding('utf8');
    let text = '';
    res.on('data', (piece: string) => (text += piece));
    res.once('end', () => cb(res.complete ? undefined : new APIConnectionError({ message: 'response ended early' }), text));
    // The socket went away mid-body (or the attempt aborted and cut it): node destroys the response with an error.
    res.once('error', (e) => cb(abort.aborted ? new APIUserAbortError() : new APIConnectionError({ cause: e }), text));
  }

  return {
    complete(body, abort, headers) {
      return new Promise((resolve, reject) => {
        post(body, abort, headers, 'application/json', reject, (res) =>
          readAll(res, abort, (e, text) => {
            if (e) return reject(e);
            if (!ok(res)) return reject(failure(res, text));
            // As the SDK: JSON when the content type says so (a parse error is the provider's), else the raw text.
            if (!isJson(res)) return resolve(text);
            try {
              resolve(JSON.parse(text));
            } catch (parseError) {
              reject(parseError);
            }
          }),
        );
      });
    },
    stream(body, abort, headers) {
      return new Promise((resolve, reject) => {
        post(body, abort, headers, 'text/event-stream', reject, (res) => {
          if (!ok(res)) return readAll(res, abort, (e, text) => reject(e ?? failure(res, text)));
          let stopped = false;
          resolve({
            [Symbol.asyncIterator]: () => sseChunks<ChatCompletionChunk>(res, () => stopped || abort.aborted),
            controller: {
              abort() {
                stopped = true;
                if (!res.complete) res.destroy();
              },
            },
          });
        });
      });
    },
    close: () => agent.destroy(),
  };
}
