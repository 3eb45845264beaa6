import { createHash, timingSafeEqual } from 'node:crypto';
import type { RequestHandler } from 'express';
import type { IncomingMessage } from 'node:http';
import { HttpError } from './errors.js';

/*
 * Keys are compared as SHA-256 digests with timingSafeEqual: equal-length buffers whatever the candidate's
 * length, so neither the content nor the length of a configured key leaks through response timing. Every
 * configured key is compared (no early exit) for the same reason.
 */

const digest = (s: string): Buffer => createHash('sha256').update(s, 'utf8').digest();

export function keyMatcher(keys: readonly string[]): (candidate: string | undefined) => boolean {
  const digests = keys.map(digest);
  return (candidate) => {
    if (candidate === undefined || digests.length === 0) return false;
    const d = digest(candidate);
    let ok = false;
    for (const k of digests) ok = timingSafeEqual(k, d) || ok;
    return ok;
  };
}

/** The token of `Authorization: Bearer <token>`, or undefined. */
export function bearerToken(req: Pick<IncomingMessage, 'headers'>): string | undefined {
  const h = req.headers.authorization;
  if (typeof h !== 'string') return undefined;
  const m = /^Bearer[ \t]+(.+)$/i.exec(h.trim());
  return m ? m[1]!.trim() : undefined;
}

/**
 * More than one Authorization header. Node keeps the first and drops the rest, so a request carrying a bad
 * key and a good one would pass or fail by their order, and a proxy in front that reads another one than we
 * do would check a different key: such a request is refused instead.
 */
export function severalAuthorizations(req: Pick<IncomingMessage, 'rawHeaders'>): boolean {
  const raw = req.rawHeaders;
  let seen = 0;
  for (let i = 0; i < raw.length; i += 2) {
    const name = raw[i]!;
    if (name.length === 13 && name.toLowerCase() === 'authorization' && ++seen > 1) return true;
  }
  return false;
}

const unauthorized = (message: string) =>
  new HttpError(401, 'authentication_error', 'invalid_api_key', message, undefined, { 'www-authenticate': 'Bearer' });

type AuthRequest = Pick<IncomingMessage, 'headers' | 'rawHeaders'>;

/** The 401 for a request whose key does not match, or undefined when it does. */
function keyProblem(req: AuthRequest, matches: (candidate: string | undefined) => boolean, what: string, placeholder: string): HttpError | undefined {
  if (severalAuthorizations(req)) return unauthorized('several Authorization headers: send exactly one');
  const token = bearerToken(req);
  if (token === undefined) return unauthorized(`missing ${what}: send Authorization: Bearer <${placeholder}>`);
  if (!matches(token)) return unauthorized(`invalid ${what}`);
  return undefined;
}

/** Client auth for /v1/*: the 401 to answer with, or undefined to go on (always, when `server.apiKeys` is empty). */
export function clientKeyCheck(apiKeys: readonly string[]): (req: AuthRequest) => HttpError | undefined {
  if (apiKeys.length === 0) return () => undefined;
  const matches = keyMatcher(apiKeys);
  return (req) => keyProblem(req, matches, 'API key', 'key');
}

/** The same check as an express middleware, for the /v1/* paths express serves. */
export function requireClientKey(apiKeys: readonly string[]): RequestHandler {
  const check = clientKeyCheck(apiKeys);
  return (req, _res, next) => next(check(req));
}

/**
 * Admin auth. With `adminKey` set every /admin/* call needs it. Without one, reads stay open (the same
 * circuit states are already public on /metrics and /readyz) and writes are refused: an unauthenticated
 * switch that can take every endpoint out of service is not a default anyone should get.
 */
export function requireAdminKey(adminKey: string | undefined, access: 'read' | 'write'): RequestHandler {
  const matches = keyMatcher(adminKey ? [adminKey] : []);
  return (req, _res, next) => {
    if (!adminKey) {
      if (access === 'read') return next();
      return next(
        new HttpError(403, 'permission_error', 'admin_disabled', 'admin writes are disabled: set server.adminKey to enable them'),
      );
    }
    next(keyProblem(req, matches, 'admin key', 'adminKey'));
  };
}
