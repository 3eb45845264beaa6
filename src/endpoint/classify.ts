import { APIConnectionError, APIConnectionTimeoutError, APIError, APIUserAbortError } from 'openai';
import { isUnsupportedParameterError } from '../providers/errors.js';
import type { AttemptOutcome } from './outcome.js';

/**
 * `retryAfterMs` of a spend or quota cap (`quota_exhausted`): not a time the provider gave, but "not until
 * someone pays or raises the cap". The breaker keeps traffic off for `breaker.quotaCooldownMs` (breaker.ts).
 */
export const QUOTA_COOLDOWN = Number.POSITIVE_INFINITY;
/**
 * Anthropic's 529 `overloaded_error` (also sent in-band after a 200) rarely says when to come back: without a
 * Retry-After the endpoint is kept off this long, so a storm of 529s costs each caller one attempt, not one each.
 */
export const OVERLOAD_COOLDOWN_MS = 1_000;

/** Why an attempt's own AbortController fired: set by the router, read back here. `closed`: `router.close()`. */
export type AbortCause = 'timeout' | 'cancelled' | 'deadline' | 'closed';

/**
 * Who a failure is charged to (docs/design.md, Attribution):
 * - `endpoint`: the provider's fault beyond doubt; counted against its circuit, fallen back from.
 * - `unclear`: could be the request's or the endpoint's (an empty or unparseable answer, a 403 about content,
 *   a 429 "request too large", a 400 naming a parameter, an error event of a client type, a timeout after the
 *   provider answered something). Fallen back from, but counted only on evidence: another attempt of the same
 *   request was answered. A request that meets it everywhere gets the provider's own error back.
 * - `request`: the request itself is wrong (`client_error`) or failed locally (`local_error`): returned to the
 *   caller, never counted.
 * - `elsewhere`: the request names state another provider holds (a `previous_response_id` this one never
 *   gave out): fallen back from, never counted, whatever answers next. Met everywhere: the provider's error.
 * - `caller`: the caller went away (`cancelled`): never counted.
 */
export type Blame = 'endpoint' | 'unclear' | 'elsewhere' | 'request' | 'caller';

/** A failed attempt, classified. `message` is written by us, never copied from upstream (it may echo a key). */
export interface Classified {
  readonly outcome: AttemptOutcome;
  readonly blame: Blame;
  readonly status?: number;
  /** `error.type` for spans: a stable, low-cardinality name. */
  readonly errorType: string;
  readonly message: string;
  /** From `Retry-After` / `retry-after-ms`, in ms: how long to keep traffic off the endpoint. */
  readonly retryAfterMs?: number;
  /** The provider's own error object (not scrubbed yet), for an error the caller may get back as is. */
  readonly body?: unknown;
}

/** An answer that arrived but is unusable (empty, not JSON when JSON was asked, rejected by a validator). */
export class InvalidResponseError extends Error {
  readonly isInvalidResponseError = true;
  constructor(readonly reason: string) {
    super(reason);
    this.name = 'InvalidResponseError';
  }
}

export function outcomeForStatus(status: number): AttemptOutcome {
  if (status === 429) return 'rate_limited';
  if (status === 401 || status === 403) return 'auth_error';
  if (status === 408 || status >= 500) return 'server_error';
  if (status >= 400) return 'client_error';
  return 'invalid_response';
}

/**
 * How long the provider asked for no traffic: `retry-after-ms` (OpenAI), `x-ms-retry-after-ms` (Azure),
 * `Retry-After` as seconds or an HTTP date, else the reset time of each exhausted `anthropic-ratelimit-*`
 * limit (its `-remaining` is 0), the latest of them.
 */
export function parseRetryAfter(headers: Headers | undefined, now: number): number | undefined {
  if (!headers) return undefined;
  for (const name of ['retry-after-ms', 'x-ms-retry-after-ms']) {
    const raw = headers.get(name);
    const ms = Number(raw);
    if (raw && Number.isFinite(ms) && ms >= 0) return ms;
  }
  const raw = headers.get('retry-after');
  if (raw) {
    const seconds = Number(raw);
    if (Number.isFinite(seconds)) return seconds >= 0 ? seconds * 1000 : undefined;
    const date = Date.parse(raw);
    if (Number.isFinite(date)) return Math.max(0, date - now);
  }
  return anthropicReset(headers, now);
}

const ANTHROPIC_LIMITS = ['requests', 'tokens', 'input-tokens', 'output-tokens'];

function anthropicReset(headers: Headers, now: number): number | undefined {
  let latest: number | undefined;
  for (const limit of ANTHROPIC_LIMITS) {
    if (headers.get(`anthropic-ratelimit-${limit}-remaining`) !== '0') continue;
    const at = Date.parse(headers.get(`anthropic-ratelimit-${limit}-reset`) ?? '');
    if (Number.isFinite(at)) latest = Math.max(latest ?? 0, at - now);
  }
  return latest === undefined ? undefined : Math.max(0, latest);
}

/** Gemini's `google.rpc.RetryInfo` detail (`retryDelay: "37s"`), in ms. */
function retryInfoMs(details: unknown): number | undefined {
  if (!Array.isArray(details)) return undefined;
  for (const d of details as unknown[]) {
    const delay = d && typeof d === 'object' ? (d as { retryDelay?: unknown }).retryDelay : undefined;
    const m = typeof delay === 'string' ? /^(\d+(?:\.\d+)?)s$/.exec(delay) : null;
    if (m) return Math.round(Number(m[1]) * 1000);
  }
  return undefined;
}

/**
 * A 429 or 402 that says a spend or quota cap was reached, not a rate: OpenAI `insufficient_quota`,
 * Anthropic `billing_error` / `enforced_spend_limit_reached`, Gemini RESOURCE_EXHAUSTED whose QuotaFailure
 * names a daily (or longer) quota. Every 402 (payment required) is one, and Anthropic's 400 "credit balance
 * is too low".
 */
function isQuotaCap(status: number, p: ProviderError, said: string): boolean {
  if (status === 402) return true;
  // Anthropic answers an empty prepaid balance with a 400: money all the same, not the request's fault.
  if (status === 400) return /credit balance is too low/i.test(said);
  if (status !== 429) return false;
  if (/insufficient_quota|billing|spend_limit|spend limit|credit balance|exceeded your current quota/i.test(said)) return true;
  if (text(p.code) !== 'RESOURCE_EXHAUSTED' && text(p.type) !== 'RESOURCE_EXHAUSTED') return false;
  const details = JSON.stringify((p as { details?: unknown }).details ?? []);
  // A per-minute quota is a rate limit (it comes with a RetryInfo); a per-day one is a cap until tomorrow.
  return /QuotaFailure/.test(details) && /PerDay|per day|daily/i.test(details);
}

const CONNECTION_CODES = new Set([
  'ECONNREFUSED', 'ECONNRESET', 'EPIPE', 'ENOTFOUND', 'EAI_AGAIN', 'EHOSTUNREACH', 'ENETUNREACH', 'ETIMEDOUT',
  'UND_ERR_SOCKET', 'UND_ERR_CLOSED', 'CERT_HAS_EXPIRED', 'DEPTH_ZERO_SELF_SIGNED_CERT', 'ERR_TLS_CERT_ALTNAME_INVALID',
]);

function causeCode(e: unknown): string | undefined {
  let cur: unknown = e;
  for (let i = 0; i < 5 && cur && typeof cur === 'object'; i++) {
    const code = (cur as { code?: unknown }).code;
    if (typeof code === 'string' && CONNECTION_CODES.has(code)) return code;
    cur = (cur as { cause?: unknown }).cause;
  }
  return undefined;
}

/** What the attempt saw of the provider, for the failures whose blame depends on it. */
export interface AttemptEvidence {
  /** This attempt's response headers arrived: a connection cut after them is a truncated answer. */
  readonly answered: boolean;
  /**
   * The provider answered something while the attempt ran (its headers, or any other attempt's on the same
   * endpoint): a timeout is then a long answer, not a hang.
   */
  readonly alive: boolean;
}

const NOT_HEARD: AttemptEvidence = { answered: false, alive: false };

/** The provider's error object, `{ type, code, param, message }`, whatever shape it came in. */
interface ProviderError {
  readonly type?: unknown;
  readonly code?: unknown;
  readonly param?: unknown;
  readonly message?: unknown;
}

function providerError(e: APIError): ProviderError {
  const body = e.error as { error?: unknown } | undefined;
  const inner = body && typeof body === 'object' && typeof body.error === 'object' && body.error !== null ? body.error : body;
  return inner && typeof inner === 'object' ? (inner as ProviderError) : {};
}

const text = (v: unknown) => (typeof v === 'string' ? v : '');
/** A 403 about what was asked, not about who asked (a moderation flag, a safety block). */
const CONTENT_REFUSAL = /flag|polic|content|moderat|safety|unsafe|harm/i;
/** A 429 about the request's own size (tokens per request over the limit), not the endpoint's rate. */
const TOO_LARGE = /too large|too long|tokens per request|request_too_large|context_length/i;
/** A 400 that blames one parameter the endpoint does not take: other endpoints may take it. */
const PARAM_CODES = /unsupported_(parameter|value)|invalid_parameter/i;

/**
 * The host a redirect pointed at, for the log: the host only (a Location may carry a key in its query), and
 * only as the URL parser spells it, so a hostile header cannot put anything else into a log line.
 */
export function redirectTarget(headers: Headers | undefined): string {
  const location = headers?.get('location');
  if (!location) return 'nowhere (no Location)';
  const absolute = /^[a-z][a-z0-9+.-]*:\/\//i.test(location) || location.startsWith('//');
  if (!absolute) return 'a path on the same host';
  try {
    return new URL(location, 'http://relative.invalid').host || 'an unreadable Location';
  } catch {
    return 'an unreadable Location';
  }
}

/** Blame of a failure whose outcome says it all. */
function blameOf(outcome: AttemptOutcome): Blame {
  if (outcome === 'cancelled') return 'caller';
  if (outcome === 'client_error' || outcome === 'local_error') return 'request';
  return 'endpoint';
}

function httpFailure(error: APIError & { status: number }, now: number): Classified {
  const status = error.status;
  const p = providerError(error);
  const code = text(p.code);
  const type = text(p.type);
  const said = `${type} ${code} ${text(p.message)}`;
  const base = { status, errorType: String(status), message: `HTTP ${status}`, body: error.error };
  if (status >= 300 && status < 400) {
    // Never followed (a credential would go with it): a provider that redirects is misconfigured for everyone.
    return { ...base, outcome: 'invalid_response', blame: 'endpoint', errorType: 'redirect', message: `HTTP ${status}: the provider redirected to ${redirectTarget(error.headers)}, not followed (check the provider's baseURL)` };
  }
  if (status === 404 && code === 'model_not_found') {
    // The endpoint's model is retired or misspelt: the config is wrong for everyone, not this request.
    return { ...base, outcome: 'auth_error', blame: 'endpoint', errorType: 'model_not_found', message: 'HTTP 404 (model not found: check the endpoint\'s model)' };
  }
  const outcome = outcomeForStatus(status);
  if (status === 403 && CONTENT_REFUSAL.test(said) && type !== 'authentication_error' && type !== 'permission_error') {
    return { ...base, outcome, blame: 'unclear', errorType: 'content_refused' };
  }
  if (status === 429 && TOO_LARGE.test(said)) {
    // No Retry-After window: the next, smaller request is welcome at once.
    return { ...base, outcome, blame: 'unclear', errorType: 'request_too_large' };
  }
  if ((status === 400 || status === 404) && (p.param === 'previous_response_id' || code === 'previous_response_not_found')) {
    // A conversation this provider does not hold: the one that does may be next in the chain.
    return { ...base, outcome: 'client_error', blame: 'elsewhere', errorType: 'conversation_elsewhere' };
  }
  if (outcome === 'client_error' && (status === 400 || status === 422) && (typeof p.param === 'string' || PARAM_CODES.test(code))) {
    return { ...base, outcome, blame: 'unclear', errorType: 'param_rejected' };
  }
  if (isQuotaCap(status, p, said)) {
    // Money, not load: never retried (retry.on refuses it), kept off for breaker.quotaCooldownMs.
    return { ...base, outcome: 'quota_exhausted', blame: 'endpoint', errorType: 'quota_exhausted', message: `HTTP ${status} (spend or quota cap reached)`, retryAfterMs: QUOTA_COOLDOWN };
  }
  const hinted =
    outcome === 'rate_limited' || status === 503 || status === 529 ? (parseRetryAfter(error.headers, now) ?? retryInfoMs((p as { details?: unknown }).details)) : undefined;
  const retryAfterMs = hinted ?? (status === 529 ? OVERLOAD_COOLDOWN_MS : undefined);
  return { ...base, outcome, blame: blameOf(outcome), ...(retryAfterMs !== undefined ? { retryAfterMs } : {}) };
}

/** An `error` event inside a 2xx stream: a client type says the request is at fault, or may be. */
function streamErrorEvent(error: APIError): Classified {
  const p = providerError(error);
  const said = `${text(p.type)} ${text(p.code)}`;
  if (/invalid_request|context_length|content_filter|param/i.test(said)) {
    return { outcome: 'client_error', blame: 'unclear', errorType: 'stream_error_event', message: 'provider sent an error event of a client type in the stream', body: error.error };
  }
  return { outcome: 'server_error', blame: 'endpoint', errorType: 'server_error', message: 'provider sent an error event in the stream' };
}

/**
 * Maps whatever an attempt threw to the SPEC's outcomes, and says whom to blame. `abortCause` is the reason
 * the router aborted the attempt, if it did: the SDK reports every abort alike, so only the router knows
 * which it was. What it does not recognise is `local_error` (ours, uncounted), never a provider fault.
 */
export function classify(
  error: unknown,
  abortCause: AbortCause | undefined,
  timeoutMs: number,
  now = Date.now(),
  seen: AttemptEvidence = NOT_HEARD,
): Classified {
  if (abortCause === 'timeout') {
    // Nothing from the provider in time: a hang. Something from it (headers, or other attempts answered):
    // a long answer, which may be this request's doing.
    return seen.alive || seen.answered
      ? { outcome: 'timeout', blame: 'unclear', errorType: 'timeout', message: `no whole answer within ${timeoutMs}ms (the provider was answering)` }
      : { outcome: 'timeout', blame: 'endpoint', errorType: 'timeout', message: `no answer within ${timeoutMs}ms` };
  }
  if (abortCause === 'cancelled') return { outcome: 'cancelled', blame: 'caller', errorType: 'cancelled', message: 'cancelled by the caller' };
  // Not the caller's doing: a stream cut by it ends with an error, not the quiet end of a caller's cancel.
  if (abortCause === 'closed') return { outcome: 'cancelled', blame: 'caller', errorType: 'cancelled', message: 'the router was closed' };
  // The request's deadline abandoned the attempt: the caller's budget, not the endpoint's fault.
  if (abortCause === 'deadline') return { outcome: 'cancelled', blame: 'caller', errorType: 'deadline', message: 'abandoned at the request deadline' };
  if (error instanceof InvalidResponseError) {
    return { outcome: 'invalid_response', blame: 'unclear', errorType: 'invalid_response', message: error.reason };
  }
  if (error instanceof APIConnectionTimeoutError) return { outcome: 'timeout', blame: seen.answered || seen.alive ? 'unclear' : 'endpoint', errorType: 'timeout', message: 'connection timed out' };
  if (error instanceof APIUserAbortError) return { outcome: 'cancelled', blame: 'caller', errorType: 'cancelled', message: 'aborted' };
  if (error instanceof APIConnectionError) {
    const code = causeCode(error);
    return { outcome: 'connection_error', blame: seen.answered ? 'unclear' : 'endpoint', errorType: 'connection_error', message: code ? `connection failed (${code})` : 'connection failed' };
  }
  if (error instanceof APIError) {
    return error.status === undefined ? streamErrorEvent(error) : httpFailure(error as APIError & { status: number }, now);
  }
  if (isUnsupportedParameterError(error)) {
    // The router asks first and skips a refusing endpoint (Transport.refusal); this is for a path that did
    // not. Others may take the request: unclear, never charged without evidence.
    return { outcome: 'client_error', blame: 'unclear', errorType: 'param_rejected', message: error.message, body: error.body };
  }
  if (error instanceof SyntaxError) return { outcome: 'invalid_response', blame: 'unclear', errorType: 'invalid_response', message: 'malformed JSON from provider' };
  const code = causeCode(error);
  if (code || (error instanceof TypeError && /terminated|fetch failed|socket/i.test(error.message))) {
    return { outcome: 'connection_error', blame: seen.answered ? 'unclear' : 'endpoint', errorType: 'connection_error', message: code ? `connection failed (${code})` : 'connection lost' };
  }
  const name = error instanceof Error ? error.name : typeof error;
  return { outcome: 'local_error', blame: 'request', errorType: 'local_error', message: `failed before or without the provider (${name.slice(0, 40)})` };
}
