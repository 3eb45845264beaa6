import type { RequestHandler } from 'express';
import { HttpError } from './errors.js';

/*
 * A path the gateway serves, asked with a method it does not serve there: 405 with `Allow` (RFC 9110), in
 * the OpenAI shape like every other error. Mounted after the path's own routes and behind the same auth, so
 * it says which methods a path takes only to a caller allowed to use it. This also replaces express's
 * automatic OPTIONS answer, a text/plain 200 that skipped the admin key: the gateway serves no CORS.
 */
export function methodNotAllowed(allow: string): RequestHandler {
  return (req, _res, next) => {
    next(
      new HttpError(405, 'invalid_request_error', 'method_not_allowed', `${req.method} is not allowed here: use ${allow}`, undefined, {
        allow,
      }),
    );
  };
}

export const READ_METHODS = 'GET, HEAD';
