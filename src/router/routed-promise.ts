import { taggedHeaders } from '../endpoint/answer-headers.js';

const HOP_BY_HOP = new Set(['connection', 'keep-alive', 'transfer-encoding', 'content-length', 'content-encoding', 'trailer', 'upgrade']);

/** What a router call resolves to (Routed, restated so this file imports nothing of the router's types). */
interface Routed<T> {
  readonly route: string;
  readonly endpoint: string;
  readonly attempts: number;
  readonly response: T;
  readonly bytes?: Buffer;
}

/** What `.withResponse()` resolves to, as the openai SDK's. */
export interface WithResponse<T> {
  data: T;
  /** The answer as an HTTP response: its body, status 200 and the `x-switchyard-*` headers. */
  response: Response;
  request_id: string | null;
}

/**
 * The promise `create()` returns, with the openai SDK's APIPromise surface: `.withResponse()` and
 * `.asResponse()`, plus `.withRoute()` for who answered. Nothing runs twice: all of them read the one
 * router call made when `create()` was called. A rejection nobody waits for is not an unhandled rejection
 * (the SDK's promise behaves alike), so dropping the promise, or `router.close()` cutting it, cannot
 * crash the process.
 */
export class RoutedPromise<T> extends Promise<T> {
  #routed: Promise<Routed<unknown>>;
  #map: (value: unknown) => T;
  #convert: (e: unknown) => unknown;
  #parsed: Promise<T> | undefined;

  constructor(routed: Promise<Routed<unknown>>, map: (value: unknown) => T, convert: (e: unknown) => unknown) {
    // As the SDK's APIPromise: the base promise is a placeholder; `then` reads the router call.
    super((resolve) => resolve(null as T));
    this.#routed = routed;
    this.#map = map;
    this.#convert = convert;
    routed.catch(() => undefined);
  }

  /** Derived promises (`then`, `finally`) are plain ones. */
  static override get [Symbol.species]() {
    return Promise;
  }

  private parse(): Promise<T> {
    if (!this.#parsed) {
      const convert = this.#convert;
      this.#parsed = this.#routed.then(
        (r) => this.#map(r.response),
        (e: unknown) => {
          throw convert(e);
        },
      );
      this.#parsed.catch(() => undefined);
    }
    return this.#parsed;
  }

  /** The answer with the route, the endpoint that answered and the attempts made. */
  withRoute(): Promise<Routed<T>> {
    return this.#routed.then(
      (r) => ({ ...r, response: this.#map(r.response) }) as Routed<T>,
      (e: unknown) => {
        throw this.#convert(e);
      },
    );
  }

  asResponse(): Promise<Response> {
    return this.#routed.then(toResponse, (e: unknown) => {
      throw this.#convert(e);
    });
  }

  async withResponse(): Promise<WithResponse<T>> {
    const [data, response] = await Promise.all([this.parse(), this.asResponse()]);
    return { data, response, request_id: response.headers.get('x-request-id') };
  }

  override then<R1 = T, R2 = never>(
    onfulfilled?: ((value: T) => R1 | PromiseLike<R1>) | null,
    onrejected?: ((reason: unknown) => R2 | PromiseLike<R2>) | null,
  ): Promise<R1 | R2> {
    return this.parse().then(onfulfilled, onrejected);
  }

  override catch<R = never>(onrejected?: ((reason: unknown) => R | PromiseLike<R>) | null): Promise<T | R> {
    return this.parse().catch(onrejected);
  }

  override finally(onfinally?: (() => void) | null): Promise<T> {
    return this.parse().finally(onfinally);
  }
}

/** The routed answer as an HTTP response, as the gateway would send it (a stream's body is the stream's to read). */
function toResponse(r: Routed<unknown>): Response {
  // The answering provider's own headers (request id, rate-limit state…) when its transport kept them, less
  // those that described its body's transfer rather than the answer.
  const headers = new Headers();
  taggedHeaders(r.response)?.forEach((v, k) => {
    if (!HOP_BY_HOP.has(k)) headers.set(k, v);
  });
  headers.set('x-switchyard-route', r.route);
  headers.set('x-switchyard-endpoint', r.endpoint);
  headers.set('x-switchyard-attempts', String(r.attempts));
  const value = r.response as { [Symbol.asyncIterator]?: unknown } | null;
  if (value && typeof value === 'object' && typeof value[Symbol.asyncIterator] === 'function') {
    headers.set('content-type', 'text/event-stream; charset=utf-8');
    return new Response(null, { status: 200, headers });
  }
  headers.set('content-type', 'application/json');
  return new Response(r.bytes ? r.bytes.toString('utf8') : JSON.stringify(r.response), { status: 200, headers });
}
