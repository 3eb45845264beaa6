import express, { Router as ExpressRouter, type Request, type Response } from 'express';
import type { ChatCompletionCreateParams } from 'openai/resources/chat/completions';
import { isRequestCancelledError, isUpstreamClientError } from '../../errors/router-errors.js';
import type { Router } from '../../router/types.js';
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

    const work = opts.tracker.run(info, async () => {
      try {
        if (params.stream) {
          const stream = await opts.router.chat.completions.create(params, { signal: controller.signal });
          log.streamEnd = await pipeStream(stream, res, {
            headers: () => switchyardHeaders(info),
            signal: controller.signal,
            scrub: opts.scrub,
          });
          return;
        }
        const completion = await opts.router.chat.completions.create(params, { signal: controller.signal });
        if (controller.signal.aborted) return;
        for (const [k, v] of Object.entries(switchyardHeaders(info))) res.setHeader(k, v);
        res.status(200).json(completion);
      } catch (e) {
        if (controller.signal.aborted || isRequestCancelledError(e)) return;
        const mapped = mapError(e);
        Object.assign(mapped.headers, errorHeaders(info, e));
        log.errorCode = (mapped.body as { error?: { code?: unknown } }).error?.code as string | undefined;
        sendError(res, mapped, opts.scrub);
      }
    });
    log.settled = work;
    await work;
  });
  return r;
}
