import type { IncomingMessage, ServerResponse } from 'node:http';

/*
 * A client that sends \`Expect: 100-continue\` (curl does for bodies over 1 MB) waits for \`100 Continue\`
 * before it uploads the body. Node sends it at once unless the server listens for 'checkContinue'; the
 * gateway does, so that a request it refuses without reading the body (a wrong key, a declared length over
 * the limit, a path that takes no body) is answered before anything is uploaded. Node then closes the
 * connection after the answer, since the client may still put the body on the wire.
 */

const waiting = new WeakSet<IncomingMessage>();

/** A 'checkContinue' listener: marks the request as waiting for 100 Continue, then serves it with \`handler\`. */
export function serveExpectingContinue(handler: (req: IncomingMessage, res: ServerResponse) => void) {
  return (req: IncomingMessage, res: ServerResponse): void => {
    waiting.add(req);
    handler(req, res);
  };
}

/** What sends \`100 Continue\` for this request, or undefined when its client is not waiting for one. */
export function continuer(req: IncomingMessage, res: ServerResponse): (() => void) | undefined {
  return waiting.has(req) ? () => res.writeContinue() : undefined;
}
