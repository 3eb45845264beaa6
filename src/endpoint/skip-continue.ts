import type { Socket } from 'node:net';
import { Agent, buildConnector } from 'undici';

/*
 * undici refuses a `100 Continue` it did not ask for (it never sends `Expect: 100-continue`): it destroys the
 * connection, and the attempt would count as a connection error, although a provider (or a proxy in front of
 * it) that sends one goes on to send its real answer, which is what should count (RFC 9110 lets a client
 * ignore a 1xx it did not expect; other 1xx, 103 Early Hints among them, undici skips itself). So the
 * connections of both transports drop a `100` status block at the start of an answer before undici's parser
 * reads it. Only there: the first read after a request (or a piece of its body) was written, and only when it
 * starts with `HTTP/1.x 100 `: an answer's body (JSON, event lines) does not.
 */

const HEAD = Buffer.from('HTTP/1.');
const CONTINUE = / 100[ \r]/y;
const END = Buffer.from('\r\n\r\n');
/** A 100 block longer than this is not one undici would have read either: left for it to refuse. */
const MAX_BLOCK = 1024;

/** Wraps `socket.read` (how undici's HTTP/1.1 client reads) to drop unasked `100 Continue` blocks. */
export function skipContinue(socket: Socket): Socket {
  const read = socket.read.bind(socket);
  const write = socket.write.bind(socket) as (...args: unknown[]) => boolean;
  /** A request was written and no byte of its answer has been handed to undici yet. */
  let atHead = false;
  /** The start of a 100 block whose end has not come. */
  let partial: Buffer | undefined;
  socket.write = ((...args: unknown[]) => {
    atHead = true;
    return write(...args);
  }) as Socket['write'];
  socket.read = ((size?: number) => {
    for (;;) {
      let chunk = read(size) as Buffer | null;
      if (!atHead || chunk === null) return chunk;
      if (partial) {
        chunk = Buffer.concat([partial, chunk]);
        partial = undefined;
      }
      if (!isContinue(chunk)) {
        atHead = false;
        return chunk;
      }
      const end = chunk.indexOf(END);
      if (end === -1) {
        if (chunk.length > MAX_BLOCK) {
          atHead = false;
          return chunk;
        }
        partial = chunk;
        continue;
      }
      const rest = chunk.subarray(end + END.length);
      // The real answer (or another 100) may follow in the same read.
      if (rest.length > 0) socket.unshift(rest);
    }
  }) as Socket['read'];
  return socket;
}

function isContinue(chunk: Buffer): boolean {
  if (chunk.length < HEAD.length + 5 || chunk.compare(HEAD, 0, HEAD.length, 0, HEAD.length) !== 0) return false;
  CONTINUE.lastIndex = HEAD.length + 1;
  return CONTINUE.test(chunk.toString('latin1', 0, Math.min(chunk.length, 16)));
}

/** undici's default connector, each socket it makes wrapped by `skipContinue`. */
export function continueSkippingConnector(): buildConnector.connector {
  const connect = buildConnector({});
  return (options, callback) =>
    connect(options, (err, socket) => {
      if (err) return callback(err, null);
      callback(null, skipContinue(socket as Socket));
    });
}

/**
 * The global fetch over connections that skip an unasked `100 Continue`: what the `sdk` transport calls when
 * it was given no fetch of its own. (Node's fetch is undici's, and takes an undici dispatcher.)
 */
export function fetchSkippingContinue(): { fetch: typeof fetch; close(): void } {
  const dispatcher = new Agent({ connect: continueSkippingConnector() });
  return {
    fetch: (input, init) => fetch(input, { ...init, dispatcher } as RequestInit),
    close: () => void dispatcher.destroy().catch(() => undefined),
  };
}
