import type { IncomingMessage } from 'node:http';
import { APIConnectionError, APIError } from 'openai';

/**
 * Server-sent events from a provider's response, as the openai SDK reads them: `data:` lines, one JSON value
 * per event, `[DONE]` ends it, an `error` object inside is the provider failing mid-answer. A line that is
 * not JSON throws SyntaxError (the classifier makes it `invalid_response`); a connection failing mid-stream
 * throws APIConnectionError.
 */
export async function* sseChunks<T>(res: IncomingMessage, aborted: () => boolean): AsyncGenerator<T> {
  res.setEncoding('utf8');
  let buffer = '';
  let data: string[] = [];
  let done = false;
  try {
    // Not `for await (… of res)`: leaving that loop destroys the response, and with it the keep-alive socket.
    for await (const piece of res.iterator({ destroyOnReturn: false }) as AsyncIterable<string>) {
      buffer += piece;
      let nl: number;
      while ((nl = buffer.indexOf('\n')) >= 0) {
        const line = buffer.endsWith('\r', nl) ? buffer.slice(0, nl - 1) : buffer.slice(0, nl);
        buffer = buffer.slice(nl + 1);
        if (line !== '') {
          if (line.startsWith('data:')) data.push(line.slice(line[5] === ' ' ? 6 : 5));
          continue;
        }
        if (data.length === 0) continue;
        const payload = data.join('\n');
        data = [];
        if (payload.startsWith('[DONE]')) {
          done = true;
          return;
        }
        const value = JSON.parse(payload) as T & { error?: unknown };
        if (value && typeof value === 'object' && value.error) throw new APIError(undefined, value.error as object, undefined, undefined);
        yield value as Awaited<T>;
      }
    }
  } catch (e) {
    // Like the SDK: an abort (caller, timeout) ends the stream quietly; the router knows why it aborted.
    if (aborted()) return;
    // A bad event is the provider's answer (the classifier makes it invalid_response); anything else is the
    // connection failing mid-stream.
    if (e instanceof SyntaxError || e instanceof APIError) throw e;
    throw new APIConnectionError({ cause: e as Error });
  } finally {
    // After [DONE] the body's last bytes may still be in flight: drain them so the keep-alive socket goes
    // back to the pool. A reader that stopped early (caller break, error) gets the socket destroyed instead.
    if (done) res.resume();
    else if (!res.complete) res.destroy();
  }
}
