import { STATUS_CODES, type IncomingMessage, type ServerResponse } from 'node:http';
import type { Duplex } from 'node:stream';
import { errorBody, HttpError, JSON_CONTENT_TYPE, mapError, sendError } from './errors.js';

/*
 * Requests node's HTTP parser rejects before any handler sees them (a request line or headers over the
 * limit, broken chunked framing, Content-Length with Transfer-Encoding, a header that is not a header, a
 * request that did not arrive in time). Node's own answer is a bare status line with no body, which the
 * OpenAI SDKs report as an error without a message; this one is the OpenAI-shaped error every other bad
 * request gets. The connection is closed after it: the parser cannot tell where the next request begins.
 */

const ANSWERS: Record<string, { status: number; code: string; message: string } | undefined> = {
  HPE_HEADER_OVERFLOW: { status: 431, code: 'request_headers_too_large', message: 'the request line or headers are too large' },
  HPE_CHUNK_EXTENSIONS_OVERFLOW: { status: 413, code: 'request_too_large', message: 'the chunk extensions of the request body are too large' },
  ERR_HTTP_REQUEST_TIMEOUT: { status: 408, code: 'request_timeout', message: 'the request was not received in time' },
};
const MALFORMED = { status: 400, code: 'invalid_http_request', message: 'the request is not valid HTTP/1.1' };

/** The answer written for a parser error with this code: the whole HTTP response, head and body. */
export function clientErrorResponse(code: string | undefined): string {
  const { status, code: errorCode, message } = (code !== undefined ? ANSWERS[code] : undefined) ?? MALFORMED;
  const body = JSON.stringify(errorBody(message, 'invalid_request_error', errorCode));
  return (
    `HTTP/1.1 ${status} ${STATUS_CODES[status] ?? ''}\r\n` +
    `content-type: ${JSON_CONTENT_TYPE}\r\ncontent-length: ${Buffer.byteLength(body)}\r\nconnection: close\r\n\r\n${body}`
  );
}

/** What a response in progress on the socket looks like to us (node keeps it as `_httpMessage`). */
interface SocketWithMessage {
  _httpMessage?: { headersSent?: boolean } | null;
}

/** A `clientError` listener for a node:http server serving the gateway. */
export function answerClientError(err: Error & { code?: string }, socket: Duplex): void {
  // Nobody to answer (the client reset the connection), or an answer already under way: only close.
  const inProgress = (socket as Duplex & SocketWithMessage)._httpMessage;
  if (err.code === 'ECONNRESET' || !socket.writable || inProgress?.headersSent) {
    socket.destroy();
    return;
  }
  socket.end(clientErrorResponse(err.code), () => socket.destroy());
}

/**
 * A `checkExpectation` listener: an `Expect` other than 100-continue, which node otherwise answers with a
 * bare 417. The body the client may be holding back is never read, so the connection closes after it.
 */
export function answerExpectationFailed(_req: IncomingMessage, res: ServerResponse): void {
  res.setHeader('connection', 'close');
  sendError(res, mapError(new HttpError(417, 'invalid_request_error', 'expectation_failed', 'unsupported Expect header: only 100-continue is')));
}
