import type { IncomingMessage, ServerResponse } from 'node:http';
import type { SimulatorCore } from './core.js';
import {
  DONE_EVENT,
  answerContent,
  chunkEvent,
  completionBody,
  invalidChatRequest,
  makeAnswer,
  malformedEvent,
  splitInto,
  usageEvent,
  type Answer,
  type ChatRequest,
  type ChoiceAnswer,
} from './responses.js';
import { admit, answerJson, cutAfter, firstTokenDelay, wait, type Turn } from './turn.js';

export const DEFAULT_CHUNKS = 3;

/** POST /v1/chat/completions. Never throws: every path ends in a response, a destroyed socket, or an abort. */
export async function handleChat(core: SimulatorCore, req: IncomingMessage, res: ServerResponse): Promise<void> {
  const turn = await admit<ChatRequest>(core, req, res, invalidChatRequest);
  if (!turn) return;
  const { fault, body: chat } = turn;
  const content = fault?.kind === 'empty' ? '' : answerContent(chat, core.name, turn.spec.content, fault?.kind === 'not_json');
  const answer = makeAnswer(core.nextId(), Math.floor(core.now() / 1000), chat, content);
  if (chat.stream === true) return stream(turn, answer);
  // A non-streamed answer takes as long as the same answer streamed would.
  const generation = (turn.spec.chunkDelayMs ?? 0) * Math.max(0, (turn.spec.chunks ?? DEFAULT_CHUNKS) - 1);
  return answerJson(turn, completionBody(answer), generation);
}

/** The deltas one choice is streamed as: its text in pieces, or its tool call (name first, then arguments). */
function deltas(c: ChoiceAnswer, chunks: number): Record<string, unknown>[] {
  if (!c.toolCall) return c.content === '' ? [] : splitInto(c.content, chunks).map((content) => ({ content }));
  const { id, name, arguments: args } = c.toolCall;
  return splitInto(args, chunks).map((piece, i) => ({
    tool_calls: [i === 0 ? { index: 0, id, type: 'function', function: { name, arguments: piece } } : { index: 0, function: { arguments: piece } }],
  }));
}

async function stream(turn: Turn<ChatRequest>, answer: Answer): Promise<void> {
  const { spec, res, fault, body: chat } = turn;
  res.writeHead(200, { 'content-type': 'text/event-stream', 'cache-control': 'no-cache', connection: 'keep-alive', 'x-request-id': turn.core.nextRequestId() });
  // Events are batched and written only before a wait: a zero-delay stream costs one write.
  let pending = '';
  for (let i = 0; i < answer.choices.length; i++) pending += chunkEvent(answer, { role: 'assistant', content: '' }, null, i);
  const flush = () => {
    if (pending !== '') res.write(pending);
    pending = '';
  };
  if (fault?.kind === 'malformed') return void res.end(pending + malformedEvent(answer));

  const perChoice = answer.choices.map((c) => deltas(c, spec.chunks ?? DEFAULT_CHUNKS));
  const steps = Math.max(0, ...perChoice.map((d) => d.length));
  const cutAt = fault?.kind === 'cut' ? fault.afterChunks ?? 1 : Infinity;
  for (let i = 0; i < steps; i++) {
    if (i === cutAt) return cutAfter(res, pending);
    const delay = i === 0 ? firstTokenDelay(turn) : spec.chunkDelayMs ?? 0;
    if (delay > 0 || spec.jitterMs) {
      flush();
      if (!(await wait(turn, delay))) return;
    }
    perChoice.forEach((d, index) => {
      if (d[i]) pending += chunkEvent(answer, d[i]!, null, index);
    });
  }
  if (cutAt !== Infinity) return cutAfter(res, pending);
  answer.choices.forEach((c, index) => {
    pending += chunkEvent(answer, {}, c.finish, index);
  });
  if (chat.stream_options?.include_usage) pending += usageEvent(answer);
  res.end(pending + DONE_EVENT);
}
