import type { IncomingMessage, ServerResponse } from 'node:http';
import { HttpError } from './errors.js';

/*
 * What a web page in someone's browser can make the gateway do. A page on any origin may send a "simple"
 * cross-origin request with no preflight (a POST whose content type is text/plain, a form type, or none):
 * the browser does not let the page read the answer, but the request is served, and the provider is paid.
 * Without `server.apiKeys` nothing else stops it, so such a request is refused unless its content type is
 * JSON, which a browser cannot send cross-origin without asking first (a preflight this gateway answers
 * only for the origins in `server.cors.origins`).
 */

/** `application/json` or any `+json` media type, parameters aside. */
export function isJsonContentType(type: string | undefined): boolean {
  if (type === undefined) return false;
  const semi = type.indexOf(';');
  const media = (semi === -1 ? type : type.slice(0, semi)).trim().toLowerCase();
  return media === 'application/json' || media.endsWith('+json');
}

const notJson = () =>
  new HttpError(
    415,
    'invalid_request_error',
    'unsupported_media_type',
    "request body must be sent as 'content-type: application/json' (other types are refused while server.apiKeys is unset: any web page could send them)",
  );

/**
 * For a route that spends provider money: the 415 to answer a request a browser could have sent from any
 * page without a preflight, or undefined. Always undefined when client keys are required (a page cannot
 * send `Authorization` cross-origin without a preflight either).
 */
export function simpleRequestCheck(apiKeys: readonly string[]): (req: IncomingMessage) => HttpError | undefined {
  if (apiKeys.length > 0) return () => undefined;
  return (req) => (isJsonContentType(req.headers['content-type']) ? undefined : notJson());
}

/** Response headers a page may read: who answered, and when to come back. */
const EXPOSED = 'x-switchyard-route, x-switchyard-endpoint, x-switchyard-attempts, retry-after';
const PREFLIGHT_MAX_AGE_S = '600';

/**
 * CORS for the origins configured (`server.cors.origins`; `*` for any): undefined when none are, so no
 * response carries a CORS header and no preflight succeeds. Otherwise a function that adds the headers to
 * a request from an allowed origin and answers its preflight (returns true when it answered).
 */
export function corsHandler(origins: readonly string[] | undefined): ((req: IncomingMessage, res: ServerResponse) => boolean) | undefined {
  if (!origins || origins.length === 0) return undefined;
  const any = origins.includes('*');
  const allowed = new Set(origins);
  return (req, res) => {
    const origin = req.headers.origin;
    res.setHeader('vary', 'origin');
    if (origin === undefined || !(any || allowed.has(origin))) return false;
    res.setHeader('access-control-allow-origin', any ? '*' : origin);
    if (req.method !== 'OPTIONS' || req.headers['access-control-request-method'] === undefined) {
      res.setHeader('access-control-expose-headers', EXPOSED);
      return false;
    }
    res.setHeader('access-control-allow-methods', 'GET, POST');
    const asked = req.headers['access-control-request-headers'];
    // The origin is trusted: whichever headers its client sends (the SDKs' x-stainless-* among them).
    if (asked) res.setHeader('access-control-allow-headers', asked);
    res.setHeader('access-control-max-age', PREFLIGHT_MAX_AGE_S);
    res.writeHead(204).end();
    return true;
  };
}
