import type { IncomingMessage, ServerResponse } from 'node:http';
import { DEFAULT_CHUNKS } from './chat.js';
import type { SimulatorCore } from './core.js';
import { sendError } from './http.js';
import { splitInto } from './responses.js';
import {
  callItem,
  finalStatus,
  invalidResponsesRequest,
  messageItem,
  outputText,
  planResponse,
  responseObject,
  sseEvent,
  type ResponsePlan,
  type ResponsesRequest,
} from './responses-api-body.js';
import { admit, answerJson, cutAfter, firstTokenDelay, wait, type Turn } from './turn.js';

/*
 * POST /v1/responses, plain and streamed (named events: response.created ... response.completed). Each
 * simulator remembers the ids it answered with, as a provider keeps its responses: a request naming a
 * `previous_response_id` it never gave out gets OpenAI's 400, which is how a test sees a follow-up sent
 * to the wrong provider.
 */

const MAX_REMEMBERED = 10_000;
const remembered = new WeakMap<SimulatorCore, Set<string>>();

function remember(core: SimulatorCore, id: string): void {
  let ids = remembered.get(core);
  if (!ids) remembered.set(core, (ids = new Set()));
  // Oldest first out: a client creating responses forever cannot grow memory forever.
  if (ids.size >= MAX_REMEMBERED) ids.delete(ids.values().next().value!);
  ids.add(id);
}

export async function handleResponses(core: SimulatorCore, req: IncomingMessage, res: ServerResponse): Promise<void> {
  const turn = await admit<ResponsesRequest>(core, req, res, invalidResponsesRequest);
  if (!turn) return;
  const { body, fault } = turn;
  const previous = body.previous_response_id;
  if (typeof previous === 'string' && !remembered.get(core)?.has(previous)) {
    return sendError(res, 400, `Previous response with id '${previous}' not found.`, 'previous_response_id', undefined, 'previous_response_not_found');
  }
  const id = `resp_${core.nextId().replace('chatcmpl-', '')}`;
  const plan = planResponse(id, Math.floor(core.now() / 1000), body, core.name, turn.spec.content, fault?.kind);
  remember(core, id);
  if (body.stream === true) return stream(turn, plan);
  const generation = (turn.spec.chunkDelayMs ?? 0) * Math.max(0, (turn.spec.chunks ?? DEFAULT_CHUNKS) - 1);
  return answerJson(turn, JSON.stringify(responseObject(plan, finalStatus(plan))), generation);
}

/** The events of the output item: added, its deltas (one per chunk), and everything after the last delta. */
function itemEvents(p: ResponsePlan, chunks: number): { added: [string, object][]; deltas: [string, object][]; done: [string, object][] } {
  if (p.call) {
    const item_id = p.call.id;
    return {
      added: [['response.output_item.added', { output_index: 0, item: callItem(p, false) }]],
      deltas: splitInto(p.call.arguments, chunks).map((delta) => ['response.function_call_arguments.delta', { item_id, output_index: 0, delta }]),
      done: [
        ['response.function_call_arguments.done', { item_id, output_index: 0, name: p.call.name, arguments: p.call.arguments }],
        ['response.output_item.done', { output_index: 0, item: callItem(p, true) }],
      ],
    };
  }
  if (p.text === '') return { added: [], deltas: [], done: [] };
  const at = { item_id: p.messageId, output_index: 0, content_index: 0 };
  return {
    added: [
      ['response.output_item.added', { output_index: 0, item: messageItem(p, false) }],
      ['response.content_part.added', { ...at, part: outputText('') }],
    ],
    deltas: splitInto(p.text, chunks).map((delta) => ['response.output_text.delta', { ...at, delta, logprobs: [] }]),
    done: [
      ['response.output_text.done', { ...at, text: p.text, logprobs: [] }],
      ['response.content_part.done', { ...at, part: outputText(p.text) }],
      ['response.output_item.done', { output_index: 0, item: messageItem(p, true) }],
    ],
  };
}

async function stream(turn: Turn<ResponsesRequest>, p: ResponsePlan): Promise<void> {
  const { spec, res, fault } = turn;
  res.writeHead(200, { 'content-type': 'text/event-stream', 'cache-control': 'no-cache', connection: 'keep-alive' });
  let seq = 0;
  const event = (type: string, fields: object) => sseEvent(type, seq++, fields as Record<string, unknown>);
  let pending = event('response.created', { response: responseObject(p, 'in_progress') }) + event('response.in_progress', { response: responseObject(p, 'in_progress') });
  const flush = () => {
    if (pending !== '') res.write(pending);
    pending = '';
  };
  if (fault?.kind === 'malformed') return void res.end(`${pending}event: response.output_text.delta\ndata: {"type":"response.output_text.delta","delta":"trunc\n\n`);
  const { added, deltas, done } = itemEvents(p, spec.chunks ?? DEFAULT_CHUNKS);
  for (const [type, fields] of added) pending += event(type, fields);
  const cutAt = fault?.kind === 'cut' ? fault.afterChunks ?? 1 : Infinity;
  for (let i = 0; i < deltas.length; i++) {
    if (i === cutAt) return cutAfter(res, pending);
    const delay = i === 0 ? firstTokenDelay(turn) : spec.chunkDelayMs ?? 0;
    if (delay > 0 || spec.jitterMs) {
      flush();
      if (!(await wait(turn, delay))) return;
    }
    pending += event(deltas[i]![0], deltas[i]![1]);
  }
  if (cutAt !== Infinity) return cutAfter(res, pending);
  for (const [type, fields] of done) pending += event(type, fields);
  const status = finalStatus(p);
  pending += event(`response.${status}`, { response: responseObject(p, status) });
  // The Responses API sends no [DONE]: the stream ends after its terminal event.
  res.end(pending);
}
