import type { IncomingMessage, ServerResponse } from 'node:http';
import type { SimulatorCore } from './core.js';
import type { Fault, FaultSpec } from './faults.js';
import { BodyTooLargeError, readBody, sendError, sendJson, tryParseJson } from './http.js';
import { mulberry32, type Rng } from './random.js';
import { untilAborted } from './timers.js';

/** Why a parsed body is refused with OpenAI's 400, or undefined when it is acceptable. */
export type Invalid = { message: string; param: string | null; code?: string } | undefined;

/** One API request being answered: the spec as it was when the request arrived, its fault and its own jitter. */
export interface Turn<B> {
  core: SimulatorCore;
  req: IncomingMessage;
  res: ServerResponse;
  spec: FaultSpec;
  body: B;
  fault: Fault | undefined;
  rng: Rng;
  signal: AbortSignal;
}

/**
 * Everything every API path does before it answers (chat, embeddings, responses alike, so fault injection
 * applies to each): count the request, read and check the body, draw the fault, then play out the faults
 * that need no answer body (hang, latency, an error status, a reset). Resolves to the turn to answer, or
 * undefined when the request has already been answered or abandoned.
 */
/** Counts a request in and out; the controller aborts when the client goes away before the answer ends. */
export function track(core: SimulatorCore, res: ServerResponse): AbortController {
  core.countRequest();
  core.inFlight++;
  const abort = new AbortController();
  res.once('close', () => {
    core.inFlight--;
    // The client went away (or close() destroyed the socket): stop every delay this request waits on.
    if (!res.writableFinished) abort.abort();
  });
  return abort;
}

export async function admit<B>(
  core: SimulatorCore,
  req: IncomingMessage,
  res: ServerResponse,
  check: (body: unknown) => Invalid,
): Promise<Turn<B> | undefined> {
  const abort = track(core, res);
  let text: string;
  try {
    text = await readBody(req);
  } catch (err) {
    if (err instanceof BodyTooLargeError) {
      core.record('too_large');
      sendError(res, 413, 'request body too large');
    }
    return undefined;
  }
  const key = core.apiKey;
  if (key !== undefined && req.headers.authorization !== `Bearer ${key}`) {
    core.record('unauthorized');
    sendError(res, 401, 'Incorrect API key provided.');
    return undefined;
  }
  const parsed = tryParseJson(text);
  const invalid = parsed ? check(parsed.value) : { message: 'the body is not valid JSON', param: 'body' };
  if (invalid) {
    core.record('bad_request');
    sendError(res, 400, invalid.message, invalid.param, undefined, invalid.code);
    return undefined;
  }
  const body = parsed!.value as B;
  if ((body as { stream?: unknown }).stream === true) core.countStream();
  const model = (body as { model?: unknown }).model;
  if (typeof model === 'string') core.seeModel(model);

  const { fault, seed } = core.nextRequest();
  core.recordFault(fault);
  const turn: Turn<B> = { core, req, res, spec: core.spec, body, fault, rng: mulberry32(seed), signal: abort.signal };
  if (fault?.kind === 'hang') {
    await untilAborted(abort.signal);
    return undefined;
  }
  if (!(await wait(turn, turn.spec.latencyMs ?? 0))) return undefined;
  if (fault?.kind === 'status') {
    const retryAfter = fault.status === 429 || fault.status === 503 ? fault.retryAfterSeconds ?? turn.spec.retryAfterSeconds : undefined;
    sendError(res, fault.status, fault.message, null, retryAfter === undefined ? undefined : { 'retry-after': String(retryAfter) });
    return undefined;
  }
  if (fault?.kind === 'reset') {
    // A TCP RST, like a provider's load balancer dropping the connection.
    req.socket.resetAndDestroy();
    return undefined;
  }
  return turn;
}

/** Waits `ms` plus jitter; false when the request was abandoned meanwhile (the caller must then stop). */
export function wait(turn: Turn<unknown>, ms: number): Promise<boolean> | boolean {
  const jitter = turn.spec.jitterMs ? Math.floor(turn.rng() * (turn.spec.jitterMs + 1)) : 0;
  const total = ms + jitter;
  if (total <= 0) return !turn.signal.aborted;
  return turn.core.timers.sleep(total, turn.signal);
}

export function firstTokenDelay(turn: Turn<unknown>): number {
  return turn.fault?.kind === 'slow_first_token' ? turn.fault.delayMs : turn.spec.firstTokenDelayMs ?? 0;
}

/** Writes `data`, and once it has reached the socket, closes it mid-response. */
export function cutAfter(res: ServerResponse, data: string): void {
  if (data === '') res.destroy();
  else res.write(data, () => res.destroy());
}

/** A plain JSON answer, with the `malformed` and `cut` faults applied to its body. */
export async function answerJson(turn: Turn<unknown>, body: string, generationMs: number): Promise<void> {
  const { res, fault } = turn;
  if (!(await wait(turn, firstTokenDelay(turn) + generationMs))) return;
  if (fault?.kind === 'malformed') return sendJson(res, 200, body.slice(0, Math.floor(body.length / 2)));
  if (fault?.kind === 'cut') {
    res.writeHead(200, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(body) });
    return cutAfter(res, body.slice(0, Math.floor(body.length / 2)));
  }
  // As OpenAI: every answer names its request, which the SDKs expose as `request_id`.
  sendJson(res, 200, body, { 'x-request-id': turn.core.nextRequestId() });
}
