import type { IncomingMessage, ServerResponse } from 'node:http';
import type { ChatCompletionCreateParams } from 'openai/resources/chat/completions';
import { Stream } from 'openai/streaming';
import { CancelSource } from '../../endpoint/cancellation.js';
import { isRequestCancelledError, isUpstreamClientError } from '../../errors/router-errors.js';
import type { Routed, Router } from '../../router/types.js';
import { withIncomingContext } from '../../telemetry/propagation.js';
import { bearerToken, clientKeyCheck } from '../auth.js';
import { simpleRequestCheck } from '../browser.js';
import { readJsonBody } from '../body.js';
import { continuer } from '../expect-continue.js';
import { newCallInfo, switchyardHeaders, type CallTracker, type CallInfo } from '../context.js';
import { HttpError, JSON_CONTENT_TYPE, mapError, sendError, type MappedError } from '../errors.js';
import { requestLine, type RequestLines, type RequestLogState } from '../request-line.js';
import { pipeStream, type StreamStop } from '../sse.js';
import { shuttingDown } from '../shutdown-answer.js';
import type { LiveList } from '../../router/live-list.js';

/*
 * POST /v1/chat/completions, served straight from node's request handler: the one hot path of the gateway
 * skips express (routing, `res.json` and body-parser cost more than the rest of the gateway together).
 * Everything else about it is what express did: client auth, the body limit, the OpenAI-shaped errors, the
 * request line, and cancelling the router call when the client goes away.
 */

export interface ChatRouteOptions {
  router: Router;
  tracker: CallTracker;
  apiKeys: readonly string[];
  bodyLimitBytes: number;
  scrub: (text: string) => string;
  /** Where the request line goes. */
  lines: RequestLines;
  /** `server.shouldRetryHeader`: `x-should-retry: false` on the 502/503/504 the router produced. Default true. */
  shouldRetryHeader?: boolean | undefined;
  /** Answers with an error from outside the router call (and logs it when it is a bug). */
  respondError: (res: ServerResponse, err: unknown) => MappedError;
  /**
   * Requests being served, until their request line is written: what a shutdown past its grace period ends
   * as answers (shutdown-answer.ts). Optional for a route mounted on its own.
   */
  live?: LiveList<LiveRequest>;
}

/** A request the gateway can end as an answer when it stops. */
export interface LiveRequest {
  stop(): void;
}

export const CHAT_PATH = '/v1/chat/completions';

/** `scheme://authority` of a request target in absolute form (`POST http://host/v1/...`). */
const ABSOLUTE_FORM = /^[a-z][a-z0-9+.-]*:\/\/[^/?#]*/i;

/**
 * The request's path (query left out) when it is a POST to the chat route, matched as express matched it:
 * case-insensitive, with or without a trailing slash, and in absolute form too (which HTTP/1.1 servers
 * must accept, and express reads as its path).
 */
export function chatPath(req: IncomingMessage): string | undefined {
  if (req.method !== 'POST') return undefined;
  let url = req.url ?? '';
  if (url[0] !== '/') {
    const origin = ABSOLUTE_FORM.exec(url);
    if (origin) url = url.slice(origin[0].length);
  }
  const q = url.indexOf('?');
  const path = q === -1 ? url : url.slice(0, q);
  if (path === CHAT_PATH) return path;
  const bare = path.endsWith('/') ? path.slice(0, -1) : path;
  return bare.toLowerCase() === CHAT_PATH ? path : undefined;
}

const invalid = (message: string, param?: string) =>
  new HttpError(400, 'invalid_request_error', param ? 'missing_required_parameter' : 'invalid_request', message, param);

/**
 * Only what the gateway itself needs is checked; everything else is the provider's to judge (and its 400
 * comes back as is). `model` must be a string because it picks the route.
 */
function validate(body: unknown): ChatCompletionCreateParams {
  if (typeof body !== 'object' || body === null || Array.isArray(body)) {
    throw invalid('request body must be a JSON object');
  }
  const b = body as Record<string, unknown>;
  if (typeof b.model !== 'string' || b.model.length === 0) throw invalid("missing required parameter: 'model'", 'model');
  if (!Array.isArray(b.messages)) throw invalid("missing required parameter: 'messages'", 'messages');
  if (b.messages.length === 0) throw new HttpError(400, 'invalid_request_error', 'invalid_value', "'messages' must not be empty", 'messages');
  if (b.stream !== undefined && b.stream !== null && typeof b.stream !== 'boolean') {
    throw new HttpError(400, 'invalid_request_error', 'invalid_type', "'stream' must be a boolean", 'stream');
  }
  return b as unknown as ChatCompletionCreateParams;
}

/** The router's own account of who answered wins over what the events suggested. */
function answered(info: CallInfo, routed: Routed<unknown>): void {
  info.route = routed.route;
  info.endpoint = routed.endpoint;
  info.attempts = routed.attempts;
}

/** Headers for an error answer: the route and attempt count, and the endpoint only if one actually answered. */
function errorHeaders(info: CallInfo, e: unknown): Record<string, string> {
  const h = switchyardHeaders(info);
  if (isUpstreamClientError(e)) h['x-switchyard-endpoint'] = e.endpoint;
  else delete h['x-switchyard-endpoint'];
  return h;
}

/** What the gateway knows of who is calling, for the router's attribution. */
interface CallerFacts {
  /** The client's API key when keys are required (already checked), else its address. Never logged. */
  readonly id: string | undefined;
  /**
   * How long the client will wait (ms), from the `x-stainless-timeout` the openai SDKs send: whole seconds,
   * truncated (openai-node sends 0 for a 300 ms timeout), so under a second counts as a second.
   */
  readonly timeout: number | undefined;
}

function callerFacts(req: IncomingMessage, keyed: boolean): CallerFacts {
  const id = keyed ? bearerToken(req) : req.socket.remoteAddress;
  const raw = req.headers['x-stainless-timeout'];
  const seconds = typeof raw === 'string' ? Number(raw) : Number.NaN;
  // Past this the client has given up: no use working on. Out of range values are ignored, not refused.
  const timeout = Number.isFinite(seconds) && seconds >= 0 && seconds * 1000 <= 2_147_483_647 ? Math.max(1000, Math.ceil(seconds * 1000)) : undefined;
  return { id, timeout };
}

const errorCode = (mapped: MappedError) => (mapped.body as { error?: { code?: unknown } }).error?.code as string | undefined;

export function chatRoute(opts: ChatRouteOptions): (req: IncomingMessage, res: ServerResponse, path: string) => void {
  const checkKey = clientKeyCheck(opts.apiKeys);
  const checkSimple = simpleRequestCheck(opts.apiKeys);

  /** The router call and the answer, inside the request's trace context and call tracking. */
  async function call(
    params: ChatCompletionCreateParams,
    info: CallInfo,
    cancelled: CancelSource,
    res: ServerResponse,
    log: RequestLogState,
    caller: CallerFacts,
    stop: StreamStop,
  ) {
    try {
      const routed = await opts.router.dispatch(params, { cancellation: cancelled, caller: caller.id, ...(caller.timeout !== undefined ? { timeout: caller.timeout } : {}) });
      answered(info, routed);
      if (routed.response instanceof Stream) {
        log.streamEnd = await pipeStream(routed.response, res, { headers: () => switchyardHeaders(info), cancelled, scrub: opts.scrub, stop });
        return;
      }
      if (cancelled.aborted) return;
      // The provider's own bytes when the transport kept them: the same JSON, not serialised a second time.
      const body = routed.bytes ?? JSON.stringify(routed.response);
      const headers: Record<string, string | number> = switchyardHeaders(info);
      headers['content-type'] = JSON_CONTENT_TYPE;
      headers['content-length'] = typeof body === 'string' ? Buffer.byteLength(body) : body.length;
      res.writeHead(200, headers);
      res.end(body);
    } catch (e) {
      if (cancelled.aborted || isRequestCancelledError(e)) return;
      const mapped = mapError(e, undefined, opts.shouldRetryHeader ?? true);
      Object.assign(mapped.headers, errorHeaders(info, e));
      log.errorCode = errorCode(mapped);
      sendError(res, mapped, opts.scrub);
    }
  }

  async function serve(req: IncomingMessage, res: ServerResponse, log: RequestLogState, cancelled: CancelSource, stop: StreamStop): Promise<void> {
    const params = validate(await readJsonBody(req, opts.bodyLimitBytes, continuer(req, res)));
    if (cancelled.aborted) return;
    const info = newCallInfo();
    log.call = info;
    const caller = callerFacts(req, opts.apiKeys.length > 0);
    await withIncomingContext(req.headers, () => opts.tracker.run(info, () => call(params, info, cancelled, res, log, caller, stop)));
  }

  return (req, res, path) => {
    const log: RequestLogState = {};
    const cancelled = new CancelSource();
    const logLine = requestLine(opts.lines, 'POST', path, res, log, true);
    const stop: StreamStop = {};
    const live: LiveRequest = {
      // The gateway is stopping and this request outlived the grace period: it ends as an answer (a 503, or
      // an error event in a stream already begun), then its router call is cancelled.
      stop() {
        if (res.writableEnded || res.destroyed) return;
        log.stopped = true;
        log.errorCode = 'shutting_down';
        if (!res.headersSent) sendError(res, shuttingDown());
        else stop.now?.();
        cancelled.cancel();
      },
    };
    const gone = opts.live?.add(live) ?? (() => undefined);
    // One listener for both: 'close' before the response finished means the client went away, so the
    // upstream attempt is cancelled; either way the request line is written (and only then is the request
    // no longer live: a shutdown waits for its line).
    res.on('close', () => {
      if (!res.writableFinished) cancelled.cancel();
      logLine();
      if (log.settled) log.settled.then(gone, gone);
      else gone();
    });
    const fail = (e: unknown) => {
      log.errorCode = errorCode(opts.respondError(res, e));
    };
    const denied = checkKey(req) ?? checkSimple(req);
    if (denied) return fail(denied);
    log.settled = serve(req, res, log, cancelled, stop).catch(fail);
  };
}
