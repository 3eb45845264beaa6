import express, { Router as ExpressRouter, type Request, type Response } from 'express';
import type { ChatCompletionCreateParams } from 'openai/resources/chat/completions';
import { isRequestCancelledError, isUpstreamClientError } from '../../errors/router-errors.js';
import type { Routed, Router } from '../../router/types.js';
import { withIncomingContext } from '../../telemetry/propagation.js';
import { newCallInfo, switchyardHeaders, type CallTracker, type CallInfo } from '../context.js';
import { HttpError, mapError, sendError } from '../errors.js';
import { pipeStream } from '../sse.js';
import type { RequestLogState } from '../logging.js';

export interface ChatRouteOptions {
  router: Router;
  tracker: CallTracker;
  bodyLimitBytes: number;
  scrub: (text: string) => string;
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

export function chatRoutes(opts: ChatRouteOptions): ExpressRouter {
  const r = ExpressRouter();
  // Any content type: `curl -d` sends form-encoded by default and a newcomer should still get an answer.
  const json = express.json({ limit: opts.bodyLimitBytes, type: () => true });

  r.post('/chat/completions', json, async (req: Request, res: Response) => {
    const params = validate(req.body);
    const info = newCallInfo();
    const log = res.locals as RequestLogState;
    log.call = info;

    const controller = new AbortController();
    // 'close' before the response finished means the client went away: cancel the upstream attempt.
    res.on('close', () => {
      if (!res.writableFinished) controller.abort();
    });

    // Entered here, after the body was read: body-parser's stream callbacks would have lost the context.
    const work = withIncomingContext(req.headers, () =>
      opts.tracker.run(info, async () => {
      try {
        if (params.stream) {
          const routed = await opts.router.dispatch(params, { signal: controller.signal });
          answered(info, routed);
          log.streamEnd = await pipeStream(routed.response, res, {
            headers: () => switchyardHeaders(info),
            signal: controller.signal,
            scrub: opts.scrub,
          });
          return;
        }
        const routed = await opts.router.dispatch(params, { signal: controller.signal });
        answered(info, routed);
        if (controller.signal.aborted) return;
        for (const [k, v] of Object.entries(switchyardHeaders(info))) res.setHeader(k, v);
        res.status(200).json(routed.response);
      } catch (e) {
        if (controller.signal.aborted || isRequestCancelledError(e)) return;
        const mapped = mapError(e);
        Object.assign(mapped.headers, errorHeaders(info, e));
        log.errorCode = (mapped.body as { error?: { code?: unknown } }).error?.code as string | undefined;
        sendError(res, mapped, opts.scrub);
      }
      }),
    );
    log.settled = work;
    await work;
  });
  return r;
}
