import type { IncomingMessage, ServerResponse } from 'node:http';
import type { SimulatorCore } from './core.js';
import type { Fault, FaultSpec } from './faults.js';
import { BodyTooLargeError, readBody, sendError, sendJson, tryParseJson } from './http.js';
import { mulberry32, type Rng } from './random.js';
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
} from './responses.js';
import { untilAborted } from './timers.js';

const DEFAULT_CHUNKS = 3;

/** One chat request being answered: the spec as it was when the request arrived, and its own jitter. */
interface Turn {
  core: SimulatorCore;
  res: ServerResponse;
  spec: FaultSpec;
  chat: ChatRequest;
  fault: Fault | undefined;
  rng: Rng;
  signal: AbortSignal;
}

/** POST /v1/chat/completions. Never throws: every path ends in a response, a destroyed socket, or an abort. */
export async function handleChat(core: SimulatorCore, req: IncomingMessage, res: ServerResponse): Promise<void> {
  core.countRequest();
  core.inFlight++;
  const abort = new AbortController();
  res.once('close', () => {
    core.inFlight--;
    // The client went away (or close() destroyed the socket): stop every delay this request waits on.
    if (!res.writableFinished) abort.abort();
  });

  let text: string;
  try {
    text = await readBody(req);
  } catch (err) {
    if (err instanceof BodyTooLargeError) {
      core.record('too_large');
      sendError(res, 413, 'request body too large');
    }
    return;
  }
  const key = core.apiKey;
  if (key !== undefined && req.headers.authorization !== `Bearer ${key}`) {
    core.record('unauthorized');
    return sendError(res, 401, 'Incorrect API key provided.');
  }
  const parsed = tryParseJson(text);
  const invalid = parsed ? invalidChatRequest(parsed.value) : { message: 'the body is not valid JSON', param: 'body' };
  if (invalid) {
    core.record('bad_request');
    return sendError(res, 400, invalid.message, invalid.param);
  }
  const chat = parsed!.value as ChatRequest;
  if (chat.stream === true) core.countStream();
  core.seeModel(chat.model);

  const { fault, seed } = core.nextRequest();
  core.recordFault(fault);
  const turn: Turn = { core, res, spec: core.spec, chat, fault, rng: mulberry32(seed), signal: abort.signal };
  if (fault?.kind === 'hang') return untilAborted(abort.signal);
  if (!(await wait(turn, turn.spec.latencyMs ?? 0))) return;

  if (fault?.kind === 'status') {
    const retryAfter = fault.status === 429 || fault.status === 503 ? fault.retryAfterSeconds ?? turn.spec.retryAfterSeconds : undefined;
    return sendError(res, fault.status, fault.message, null, retryAfter === undefined ? undefined : { 'retry-after': String(retryAfter) });
  }
  if (fault?.kind === 'reset') {
    // A TCP RST, like a provider's load balancer dropping the connection.
    req.socket.resetAndDestroy();
    return;
  }
  const content = fault?.kind === 'empty' ? '' : answerContent(chat, core.name, turn.spec.content, fault?.kind === 'not_json');
  const answer = makeAnswer(core.nextId(), Math.floor(core.now() / 1000), chat, content);
  return chat.stream === true ? stream(turn, answer) : complete(turn, answer);
}

/** Waits `ms` plus jitter; false when the request was abandoned meanwhile (the caller must then stop). */
function wait(turn: Turn, ms: number): Promise<boolean> | boolean {
  const jitter = turn.spec.jitterMs ? Math.floor(turn.rng() * (turn.spec.jitterMs + 1)) : 0;
  const total = ms + jitter;
  if (total <= 0) return !turn.signal.aborted;
  return turn.core.timers.sleep(total, turn.signal);
}

function firstTokenDelay(turn: Turn): number {
  return turn.fault?.kind === 'slow_first_token' ? turn.fault.delayMs : turn.spec.firstTokenDelayMs ?? 0;
}

/** Writes `data`, and once it has reached the socket, closes it mid-response. */
function cutAfter(res: ServerResponse, data: string): void {
  if (data === '') res.destroy();
  else res.write(data, () => res.destroy());
}

async function complete(turn: Turn, answer: Answer): Promise<void> {
  const { spec, res, fault } = turn;
  // A non-streamed answer takes as long as the same answer streamed would.
  const generation = (spec.chunkDelayMs ?? 0) * Math.max(0, (spec.chunks ?? DEFAULT_CHUNKS) - 1);
  if (!(await wait(turn, firstTokenDelay(turn) + generation))) return;
  const body = completionBody(answer);
  if (fault?.kind === 'malformed') return sendJson(res, 200, body.slice(0, Math.floor(body.length / 2)));
  if (fault?.kind === 'cut') {
    res.writeHead(200, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(body) });
    return cutAfter(res, body.slice(0, Math.floor(body.length / 2)));
  }
  sendJson(res, 200, body);
}

async function stream(turn: Turn, answer: Answer): Promise<void> {
  const { spec, res, fault, chat } = turn;
  res.writeHead(200, { 'content-type': 'text/event-stream', 'cache-control': 'no-cache', connection: 'keep-alive' });
  // Events are batched and written only before a wait: a zero-delay stream costs one write.
  let pending = chunkEvent(answer, { role: 'assistant', content: '' });
  const flush = () => {
    if (pending !== '') res.write(pending);
    pending = '';
  };
  if (fault?.kind === 'malformed') return void res.end(pending + malformedEvent(answer));

  const pieces = answer.content === '' ? [] : splitInto(answer.content, spec.chunks ?? DEFAULT_CHUNKS);
  const cutAt = fault?.kind === 'cut' ? fault.afterChunks ?? 1 : Infinity;
  for (let i = 0; i < pieces.length; i++) {
    if (i === cutAt) return cutAfter(res, pending);
    const delay = i === 0 ? firstTokenDelay(turn) : spec.chunkDelayMs ?? 0;
    if (delay > 0 || spec.jitterMs) {
      flush();
      if (!(await wait(turn, delay))) return;
    }
    pending += chunkEvent(answer, { content: pieces[i]! });
  }
  if (cutAt !== Infinity) return cutAfter(res, pending);
  pending += chunkEvent(answer, {}, 'stop');
  if (chat.stream_options?.include_usage) pending += usageEvent(answer);
  res.end(pending + DONE_EVENT);
}
