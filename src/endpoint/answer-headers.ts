import type { IncomingHttpHeaders } from 'node:http';

/*
 * The provider's response headers of a plain answer, carried on the parsed answer itself under a symbol (no
 * JSON, Object.keys or deep equality sees it), so that the library's `.withResponse()`
 * can show them without threading them through the router.
 */

const HEADERS = Symbol('switchyard.providerHeaders');

/** Tags `value` (a parsed answer) with the headers it came with; anything but an object is left as is. */
export function tagHeaders<T>(value: T, headers: Headers | IncomingHttpHeaders): T {
  // Non-enumerable: deep equality (assert.deepStrictEqual, test matchers) compares enumerable symbol keys, and
  // an answer must compare equal to the same JSON however it arrived. About 0.3 µs per answer.
  if (typeof value === 'object' && value !== null && Object.isExtensible(value)) {
    Object.defineProperty(value, HEADERS, { value: headers, enumerable: false });
  }
  return value;
}

/** The headers a parsed answer came with, as a fetch Headers, if a transport tagged it. */
export function taggedHeaders(value: unknown): Headers | undefined {
  if (typeof value !== 'object' || value === null) return undefined;
  const h = (value as { [HEADERS]?: Headers | IncomingHttpHeaders })[HEADERS];
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
  const h = typeof from === 'object' && from !== null ? (from as { [HEADERS]?: Headers | IncomingHttpHeaders })[HEADERS] : undefined;
  return h === undefined ? to : tagHeaders(to, h);
}
