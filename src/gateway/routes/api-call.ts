import type { Request, RequestHandler, Response as ExpressResponse } from 'express';
import type { ServerResponse } from 'node:http';
import { CancelSource } from '../../endpoint/cancellation.js';
import { isRequestCancelledError, isUpstreamClientError } from '../../errors/router-errors.js';
import type { RequestOptions, Routed } from '../../router/types.js';
import { withIncomingContext } from '../../telemetry/propagation.js';
import { readJsonBody } from '../body.js';
import { newCallInfo, switchyardHeaders, type CallInfo, type CallTracker } from '../context.js';
import { continuer } from '../expect-continue.js';
import { HttpError, JSON_CONTENT_TYPE, mapError, sendError, type MappedError } from '../errors.js';
import type { RequestLogState } from '../request-line.js';

/*
 * What the API paths served by express (POST /v1/responses, POST /v1/embeddings) share with the chat route:
 * the body limit, the router call inside the request's trace context and call tracking, cancelling it when
 * the client goes away, the x-switchyard-* headers, the OpenAI-shaped errors and an info request line.
 */

export interface ApiRouteOptions {
  tracker: CallTracker;
  bodyLimitBytes: number;
  scrub: (text: string) => string;
  /** `server.shouldRetryHeader` (default true). */
  shouldRetryHeader?: boolean | undefined;
}

export const invalid = (message: string, param?: string, code = param ? 'missing_required_parameter' : 'invalid_request') =>
  new HttpError(400, 'invalid_request_error', code, message, param);

/** The body as an object with a non-empty string `model` and, when given, a boolean `stream`. */
export function requireModel(body: unknown): Record<string, unknown> {
  if (typeof body !== 'object' || body === null || Array.isArray(body)) throw invalid('request body must be a JSON object');
  const b = body as Record<string, unknown>;
  if (typeof b.model !== 'string' || b.model.length === 0) throw invalid("missing required parameter: 'model'", 'model');
  if (b.stream !== undefined && b.stream !== null && typeof b.stream !== 'boolean') {
    throw invalid("'stream' must be a boolean", 'stream', 'invalid_type');
  }
  return b;
}

/** The endpoint header only when one actually answered (a client_error names who refused). */
function errorHeaders(info: CallInfo, e: unknown): Record<string, string> {
  const h = switchyardHeaders(info);
  if (isUpstreamClientError(e)) h['x-switchyard-endpoint'] = e.endpoint;
  else delete h['x-switchyard-endpoint'];
  return h;
}

const errorCode = (mapped: MappedError) => (mapped.body as { error?: { code?: unknown } }).error?.code as string | undefined;

/** How a streamed answer is written; resolves once it ended (see pipeStream). */
export type StreamWriter = (stream: unknown, res: ServerResponse, headers: () => Record<string, string>, cancelled: CancelSource) => Promise<RequestLogState['streamEnd']>;

/** How a path that can stream tells a stream answer and writes it. */
export interface StreamAnswers {
  is(response: unknown): boolean;
  write: StreamWriter;
}

/**
 * An express handler for one API path: `check` turns the body into the params (or throws an HttpError),
 * `call` runs the router; a stream answer goes to `streams`.
 */
export function apiRoute<P>(
  opts: ApiRouteOptions,
  check: (body: unknown) => P,
  call: (params: P, options: RequestOptions) => Promise<Routed<unknown>>,
  streams?: StreamAnswers,
): RequestHandler {
  return (req: Request, res: ExpressResponse) => {
    const log = res.locals as RequestLogState;
    log.important = true;
    const cancelled = new CancelSource();
    res.on('close', () => {
      if (!res.writableFinished) cancelled.cancel();
    });
    const fail = (e: unknown) => {
      if (cancelled.aborted || isRequestCancelledError(e)) return;
      const mapped = mapError(e, undefined, opts.shouldRetryHeader ?? true);
      if (log.call) Object.assign(mapped.headers, errorHeaders(log.call, e));
      log.errorCode = errorCode(mapped);
      sendError(res, mapped, opts.scrub);
    };
    const serve = async () => {
      const params = check(await readJsonBody(req, opts.bodyLimitBytes, continuer(req, res)));
      if (cancelled.aborted) return;
      const info = newCallInfo();
      log.call = info;
      await withIncomingContext(req.headers, () =>
        opts.tracker.run(info, async () => {
          const routed = await call(params, { cancellation: cancelled });
          info.route = routed.route;
          info.endpoint = routed.endpoint;
          info.attempts = routed.attempts;
          if (streams?.is(routed.response)) {
            log.streamEnd = await streams.write(routed.response, res, () => switchyardHeaders(info), cancelled);
            return;
          }
          if (cancelled.aborted) return;
          const body = JSON.stringify(routed.response);
          const headers: Record<string, string | number> = switchyardHeaders(info);
          headers['content-type'] = JSON_CONTENT_TYPE;
          headers['content-length'] = Buffer.byteLength(body);
          res.writeHead(200, headers);
          res.end(body);
        }),
      );
    };
    log.settled = serve().catch(fail);
  };
}
