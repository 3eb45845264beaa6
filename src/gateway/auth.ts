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

const unauthorized = (message: string) =>
  new HttpError(401, 'authentication_error', 'invalid_api_key', message, undefined, { 'www-authenticate': 'Bearer' });

/** Client auth for /v1/*: the 401 to answer with, or undefined to go on (always, when `server.apiKeys` is empty). */
export function clientKeyCheck(apiKeys: readonly string[]): (req: Pick<IncomingMessage, 'headers'>) => HttpError | undefined {
  if (apiKeys.length === 0) return () => undefined;
  const matches = keyMatcher(apiKeys);
  return (req) => {
    const token = bearerToken(req);
    if (token === undefined) return unauthorized('missing API key: send Authorization: Bearer <key>');
    if (!matches(token)) return unauthorized('invalid API key');
    return undefined;
  };
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
    const token = bearerToken(req);
    if (token === undefined) return next(unauthorized('missing admin key: send Authorization: Bearer <adminKey>'));
    if (!matches(token)) return next(unauthorized('invalid admin key'));
    next();
  };
}
