import type { IncomingHttpHeaders } from 'node:http';
import { objectTag } from './object-tag.js';

/*
 * The provider's response headers of a plain answer, carried on the parsed answer itself as an object tag
 * (object-tag.ts: no JSON, Object.keys or deep equality sees it), so that the library's `.withResponse()`
 * can show them without threading them through the router.
 */

const HEADERS = objectTag<Headers | IncomingHttpHeaders>();

/** Tags `value` (a parsed answer) with the headers it came with; anything but an object is left as is. */
export function tagHeaders<T>(value: T, headers: Headers | IncomingHttpHeaders): T {
  // An answer must compare equal to the same JSON however it arrived: the tag is invisible to deep equality.
  if (typeof value === 'object' && value !== null) HEADERS.set(value, headers);
  return value;
}

/** The headers a parsed answer came with, as a fetch Headers, if a transport tagged it. */
export function taggedHeaders(value: unknown): Headers | undefined {
  if (typeof value !== 'object' || value === null) return undefined;
  const h = HEADERS.get(value);
  if (h === undefined || h instanceof Headers) return h;
  const out = new Headers();
  for (const [k, v] of Object.entries(h)) {
    try {
      if (typeof v === 'string') out.set(k, v);
      else if (Array.isArray(v)) for (const one of v) out.append(k, one);
    } catch {
      // A value fetch's Headers refuses: left out.
    }
  }
  return out;
}

/** Gives `to` (the caller's stream) the headers `from` (the provider's stream) was tagged with, if any. */
export function carryHeaders<T>(from: unknown, to: T): T {
  const h = HEADERS.get(from);
  return h === undefined ? to : tagHeaders(to, h);
}
