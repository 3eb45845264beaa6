import http, { type IncomingMessage } from 'node:http';
import https from 'node:https';
import { APIConnectionError, APIError, APIUserAbortError } from 'openai';
import { Stream } from 'openai/streaming';
import type { ChatCompletionChunk, ChatCompletionCreateParams } from 'openai/resources/chat/completions';
import { sseChunks } from './sse.js';
import type { Transport } from './transport.js';

export interface NativeTransportOptions {
  readonly baseURL: string;
  readonly apiKey?: string | undefined;
  readonly headers?: Record<string, string> | undefined;
}

/** A keep-alive `node:http(s)` client for one provider: the OpenAI chat API without the SDK's per-call machinery. */
export function nativeTransport(opts: NativeTransportOptions): Transport {
  const base = new URL(opts.baseURL.endsWith('/') ? opts.baseURL : `${opts.baseURL}/`);
  const url = new URL('chat/completions', base);
  const secure = url.protocol === 'https:';
  const agent = new (secure ? https : http).Agent({ keepAlive: true, maxSockets: 1024 });
  const fixed: Record<string, string> = {
    'content-type': 'application/json',
    ...(opts.apiKey ? { authorization: `Bearer ${opts.apiKey}` } : {}),
    ...opts.headers,
  };

  function post(body: object, signal: AbortSignal, headers: Record<string, string> | undefined, accept: string): Promise<IncomingMessage> {
    const payload = JSON.stringify(body);
    return new Promise((resolve, reject) => {
      if (signal.aborted) return reject(new APIUserAbortError());
      const req = (secure ? https : http).request(url, {
        method: 'POST',
        agent,
        signal,
        headers: { ...fixed, ...headers, accept, 'content-length': Buffer.byteLength(payload) },
      });
      req.once('response', resolve);
      req.once('error', (e) => reject(signal.aborted ? new APIUserAbortError() : new APIConnectionError({ cause: e })));
      req.end(payload);
    });
  }

  async function readAll(res: IncomingMessage, signal: AbortSignal): Promise<string> {
    res.setEncoding('utf8');
    let text = '';
    try {
      for await (const piece of res as AsyncIterable<string>) text += piece;
    } catch (e) {
      throw signal.aborted ? new APIUserAbortError() : new APIConnectionError({ cause: e as Error });
    }
    if (!res.complete) throw new APIConnectionError({ message: 'response ended early' });
    return text;
  }

  /** A non-2xx answer, as the SDK would throw it: the subclass for the status, with the headers (Retry-After). */
  async function failure(res: IncomingMessage, signal: AbortSignal): Promise<never> {
    const text = await readAll(res, signal);
    let parsed: unknown;
    try {
      parsed = JSON.parse(text);
    } catch {
      parsed = undefined;
    }
    const headers = new Headers();
    for (const [k, v] of Object.entries(res.headers)) if (typeof v === 'string') headers.set(k, v);
    throw APIError.generate(res.statusCode ?? 500, parsed as object | undefined, undefined, headers);
  }

  const ok = (res: IncomingMessage) => (res.statusCode ?? 0) >= 200 && (res.statusCode ?? 0) < 300;
  const isJson = (res: IncomingMessage) => /\bjson\b/i.test(res.headers['content-type'] ?? '');

  return {
    async complete(body: ChatCompletionCreateParams, signal, headers) {
      const res = await post({ ...body, stream: false }, signal, headers, 'application/json');
      if (!ok(res)) return failure(res, signal);
      const text = await readAll(res, signal);
      // As the SDK: JSON when the content type says so (a parse error is the provider's), else the raw text.
      return isJson(res) ? JSON.parse(text) : text;
    },
    async stream(body: ChatCompletionCreateParams, signal, headers) {
      const res = await post({ ...body, stream: true }, signal, headers, 'text/event-stream');
      if (!ok(res)) return failure(res, signal);
      const controller = new AbortController();
      const stop = () => controller.abort();
      signal.addEventListener('abort', stop, { once: true });
      controller.signal.addEventListener('abort', () => res.destroy(), { once: true });
      async function* chunks(): AsyncGenerator<ChatCompletionChunk> {
        try {
          yield* sseChunks<ChatCompletionChunk>(res, controller.signal);
        } catch (e) {
          if (e instanceof SyntaxError || e instanceof APIError) throw e;
          throw new APIConnectionError({ cause: e as Error });
        } finally {
          signal.removeEventListener('abort', stop);
        }
      }
      return new Stream(() => chunks(), controller);
    },
    close: () => agent.destroy(),
  };
}
