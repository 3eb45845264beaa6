import { StringDecoder } from 'node:string_decoder';
import { APIError } from 'openai';

/**
 * The provider's own JSON text of each chunk this parser made, so that a proxy can send it on rather than
 * serialise the parsed object again (about 2 µs a chunk in the gateway). Kept only for an event that came
 * as one `data:` line with no carriage return in it, so the text can be framed again as it is. It is kept on
 * the chunk under a symbol, not enumerable (JSON, `Object.keys` and equality checks do not see it): a
 * WeakMap entry per chunk cost more than the serialisation it saves.
 */
const PROVIDER_TEXT = Symbol('switchyard.providerText');

/** The provider's JSON text of a chunk `SseParser` parsed; undefined for any other object. */
export function providerJson(chunk: object): string | undefined {
  return (chunk as { [PROVIDER_TEXT]?: string })[PROVIDER_TEXT];
}

/** What one server-sent event of a chat stream meant. */
export type SseEvent<T> = { readonly kind: 'chunk'; readonly value: T } | { readonly kind: 'done' };

/**
 * Server-sent events from a provider's response, pushed in as the bytes arrive, read as the openai SDK reads
 * them: `data:` lines, one JSON value per event, `[DONE]` ends it, an `error` object inside is the provider
 * failing mid-answer. Push-based so the transport hands each network read straight to the parser: no
 * readable stream or async generator per chunk on the way.
 */
export class SseParser<T> {
  private readonly decoder = new StringDecoder('utf8');
  private buffer = '';
  private data: string[] = [];

  /**
   * Parses `bytes` and calls `emit` for each complete event. Throws SyntaxError for an event that is not
   * JSON (the classifier makes it `invalid_response`) and APIError for an `error` event, after emitting the
   * events before it.
   */
  push(bytes: Buffer, emit: (event: SseEvent<T>) => void): void {
    this.buffer += this.decoder.write(bytes);
    let nl: number;
    while ((nl = this.buffer.indexOf('\n')) >= 0) {
      const line = this.buffer.endsWith('\r', nl) ? this.buffer.slice(0, nl - 1) : this.buffer.slice(0, nl);
      this.buffer = this.buffer.slice(nl + 1);
      if (line !== '') {
        if (line.startsWith('data:')) this.data.push(line.slice(line[5] === ' ' ? 6 : 5));
        continue;
      }
      if (this.data.length === 0) continue;
      const single = this.data.length === 1;
      const payload = single ? this.data[0]! : this.data.join('\n');
      this.data = [];
      if (payload.startsWith('[DONE]')) {
        emit({ kind: 'done' });
        continue;
      }
      const value = JSON.parse(payload) as T & { error?: unknown };
      if (value && typeof value === 'object' && value.error) throw new APIError(undefined, value.error as object, undefined, undefined);
      if (single && value && typeof value === 'object' && !payload.includes('\r')) Object.defineProperty(value, PROVIDER_TEXT, { value: payload });
      emit({ kind: 'chunk', value });
    }
  }
}
