import type { IncomingMessage } from 'node:http';
import type { Readable, Transform } from 'node:stream';
import * as zlib from 'node:zlib';
import { HttpError } from './errors.js';

/*
 * The request body as JSON, read straight off node's request: what `express.json({ limit, type: () => true })`
 * did on the chat route, without express. Any content type is accepted (`curl -d` sends form-encoded by
 * default), a `charset` must be a UTF one, gzip/deflate/br bodies are inflated, the limit applies to the
 * inflated bytes, and only an object or an array counts as JSON (an empty body is `{}`). A request with no
 * body at all (neither Content-Length nor Transfer-Encoding) reads as undefined.
 */

const tooLarge = () => new HttpError(413, 'invalid_request_error', 'request_too_large', 'request body is too large');
const notJson = () => new HttpError(400, 'invalid_request_error', 'invalid_json', 'request body is not valid JSON');
const unreadable = (status: number) =>
  new HttpError(status, 'invalid_request_error', 'invalid_body', 'request body could not be read');

const DECOMPRESSORS: Record<string, (() => Transform) | undefined> = {
  gzip: zlib.createGunzip,
  deflate: zlib.createInflate,
  br: zlib.createBrotliDecompress,
};

function charsetOf(req: IncomingMessage): string {
  const type = req.headers['content-type'];
  const m = type ? /;\s*charset\s*=\s*"?([^";\s]+)/i.exec(type) : null;
  return m ? m[1]!.toLowerCase() : 'utf-8';
}

/**
 * Reads the request (through `inflater` when it is compressed) to the end, at most `limit` bytes. On an error the rest of
 * the request is still read off before the promise rejects, so the answer finds the connection in order.
 */
function readAll(req: IncomingMessage, inflater: Transform | undefined, length: number, limit: number): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const source: Readable = inflater ?? req;
    const chunks: Buffer[] = [];
    let size = 0;
    const onData = (chunk: Buffer) => {
      size += chunk.length;
      if (size > limit) fail(tooLarge());
      else chunks.push(chunk);
    };
    const onEnd = () => resolve(chunks.length === 1 ? chunks[0]! : Buffer.concat(chunks, size));
    const onError = () => fail(unreadable(400));
    function fail(error: HttpError) {
      chunks.length = 0;
      source.off('data', onData).off('end', onEnd);
      if (inflater) {
        req.unpipe(inflater);
        inflater.destroy();
      }
      if (req.readableEnded || req.destroyed) return reject(error);
      req.once('end', () => reject(error)).once('close', () => reject(error));
      req.resume();
    }
    // The client went away mid-body: nobody will read the answer, but the handler must not hang.
    req.once('close', () => req.complete || reject(unreadable(400)));
    req.on('error', onError);
    inflater?.on('error', onError);
    if (length > limit) return fail(tooLarge());
    source.on('data', onData).once('end', onEnd);
  });
}

/**
 * `sendContinue`, for a request whose client waits for `100 Continue` before sending its body: called once
 * the body is wanted. A body declared over the limit is then refused at once, unsent, instead of being read
 * off (or waited for: a client that holds its body back until told would never send it).
 */
export async function readJsonBody(req: IncomingMessage, limit: number, sendContinue?: () => void): Promise<unknown> {
  const declared = req.headers['content-length'];
  if (req.headers['transfer-encoding'] === undefined && (declared === undefined || Number.isNaN(Number(declared)))) {
    return undefined;
  }
  const charset = charsetOf(req);
  if (!charset.startsWith('utf-')) throw unreadable(415);
  let decoder: TextDecoder | undefined;
  if (charset !== 'utf-8') {
    try {
      decoder = new TextDecoder(charset);
    } catch {
      throw unreadable(415);
    }
  }
  const encoding = (req.headers['content-encoding'] ?? 'identity').toLowerCase();
  let inflater: Transform | undefined;
  if (encoding !== 'identity') {
    const decompress = DECOMPRESSORS[encoding];
    if (!decompress) throw unreadable(415);
    inflater = req.pipe(decompress());
  }
  const length = !inflater && declared !== undefined ? Number(declared) : -1;
  if (sendContinue) {
    if (declared !== undefined && Number(declared) > limit) throw tooLarge();
    sendContinue();
  }
  const bytes = await readAll(req, inflater, length, limit);
  let text = decoder ? decoder.decode(bytes) : bytes.toString('utf8');
  if (text.charCodeAt(0) === 0xfeff) text = text.slice(1);
  return parseStrict(text);
}

/**
 * JSON.parse, accepting only an object or an array (body-parser's `strict`); an empty body is `{}`. A number
 * JSON.parse makes infinite (`1e400`) is refused: serialised again it would go to the provider as `null`,
 * silently dropping what the caller asked (a `max_tokens` cap).
 */
function parseStrict(text: string): unknown {
  if (text.length === 0) return {};
  const first = text[0] === '{' || text[0] === '[' ? text[0] : /^[\x20\x09\x0a\x0d]*(.?)/.exec(text)![1];
  if (first !== '{' && first !== '[') throw notJson();
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    throw notJson();
  }
  // Only a body with a long digit run or a three-digit exponent can hold one: the walk is skipped otherwise.
  if (MAYBE_HUGE.test(text)) {
    const where = nonFinite(value);
    if (where !== undefined) {
      const param = where === '' ? undefined : where;
      throw new HttpError(400, 'invalid_request_error', 'invalid_value', `${param ? `'${param}'` : 'a value'} is a number out of range`, param);
    }
  }
  return value;
}

/**
 * A number literal that may parse to Infinity: over 1e308 takes either a three-digit exponent or, with an
 * exponent under 100, over 200 digits.
 */
const MAYBE_HUGE = /[eE]\+?\d{3}|\d{200}/;

/** The top-level key under which a non-finite number sits ('' for one elsewhere), or undefined. Iterative: no depth limit. */
function nonFinite(root: unknown): string | undefined {
  const stack: [unknown, string][] = [[root, '']];
  while (stack.length > 0) {
    const [v, top] = stack.pop()!;
    if (typeof v === 'number') {
      if (!Number.isFinite(v)) return top;
    } else if (Array.isArray(v)) {
      for (const item of v) stack.push([item, top]);
    } else if (v !== null && typeof v === 'object') {
      for (const [k, item] of Object.entries(v)) stack.push([item, v === root ? k : top]);
    }
  }
  return undefined;
}
