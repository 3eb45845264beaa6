import { Router as ExpressRouter } from 'express';
import type { ServerResponse } from 'node:http';
import type { ResponseCreateParams, ResponseStreamEvent } from 'openai/resources/responses/responses';
import { Stream } from 'openai/streaming';
import type { Cancellation } from '../../endpoint/cancellation.js';
import type { Router } from '../../router/types.js';
import { mapError } from '../errors.js';
import { methodNotAllowed } from '../methods.js';
import { drainOrClose, type StreamEnd } from '../sse.js';
import { apiRoute, invalid, requireModel, type ApiRouteOptions } from './api-call.js';

export const RESPONSES_PATH = '/v1/responses';

function check(body: unknown): ResponseCreateParams {
  const b = requireModel(body);
  if (b.input === undefined && b.previous_response_id === undefined) throw invalid("missing required parameter: 'input'", 'input');
  return b as unknown as ResponseCreateParams;
}

const frame = (type: string, data: string) => `event: ${type}\ndata: ${data}\n\n`;

/**
 * A Responses stream as OpenAI sends it: one named event per item (`event: response.output_text.delta`),
 * no `[DONE]`. Headers go out with the first event, which the router holds until the first output event
 * (the commit point): a failure before it is still a proper HTTP status. A failure after it ends the stream
 * with an `error` event (`type`, `code`, `message`, `param` as OpenAI's; plus `error`, which the openai SDKs
 * raise as an APIError). A slow reader throttles the upstream ('drain').
 */
export async function pipeResponseEvents(
  stream: AsyncIterable<ResponseStreamEvent>,
  res: ServerResponse,
  headers: () => Record<string, string>,
  cancelled: Cancellation,
  scrub: (text: string) => string,
): Promise<StreamEnd> {
  const it = stream[Symbol.asyncIterator]();
  const first = await it.next();
  if (cancelled.aborted) {
    await it.return?.();
    return 'cancelled';
  }
  res.socket?.setNoDelay(true);
  const h = headers();
  h['content-type'] = 'text/event-stream; charset=utf-8';
  h['cache-control'] = 'no-cache, no-transform';
  h['x-accel-buffering'] = 'no';
  res.writeHead(200, h);
  let seq = 0;
  try {
    for (let next = first; !next.done; next = await it.next()) {
      if (cancelled.aborted) break;
      const e = next.value;
      seq = typeof e.sequence_number === 'number' ? e.sequence_number + 1 : seq + 1;
      if (!res.write(frame(e.type, JSON.stringify(e)))) await drainOrClose(res);
    }
    if (cancelled.aborted) {
      await it.return?.();
      return 'cancelled';
    }
    res.end();
    return 'completed';
  } catch (e) {
    if (cancelled.aborted || res.destroyed) return 'cancelled';
    const body = mapError(e).body as { error: { message: string; type: string; code: string | null } };
    const event = { type: 'error', sequence_number: seq, code: body.error.code, message: body.error.message, param: null, error: body.error };
    res.end(frame('error', scrub(JSON.stringify(event))));
    return 'interrupted';
  }
}

/** POST /v1/responses, plain and streamed, through the router (mounted under /v1). */
export function responsesRoutes(router: Router, opts: ApiRouteOptions): ExpressRouter {
  const r = ExpressRouter();
  r.post(
    '/responses',
    apiRoute(
      opts,
      check,
      (params, o) => router.dispatchResponses(params, o),
      {
        is: (response) => response instanceof Stream,
        write: (stream, res, headers, cancelled) => pipeResponseEvents(stream as Stream<ResponseStreamEvent>, res, headers, cancelled, opts.scrub),
      },
    ),
  );
  r.all('/responses', methodNotAllowed('POST'));
  return r;
}
