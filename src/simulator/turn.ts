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

/** Why a request is refused with a 400, in the words of its wire format. */
export type Refusal = { invalid: string; param?: string | null; code?: string };

/** How one wire format (OpenAI's, Anthropic's, Gemini's) admits a request: its key, its errors, its body. */
export interface Door<B> {
  /** Whether `req` carries the simulator's key. */
  hasKey(req: IncomingMessage, key: string): boolean;
  /** What a request without it is told. */
  readonly keyMessage: string;
  /** An error answer in the format's shape. */
  fail(res: ServerResponse, status: number, message: string | undefined, extra?: Omit<Refusal, 'invalid'> & { headers?: Record<string, string> }): void;
  /** The body the answer is made from, or why it is refused (`parsed` is undefined when it is not JSON). */
  read(req: IncomingMessage, parsed: { value: unknown } | undefined): { body: B } | Refusal;
  /** The statuses a `status` fault sends with a Retry-After. */
  readonly retryAfter: readonly number[];
}

/** OpenAI's door: a bearer key, OpenAI's error bodies, a JSON body `check` accepts. */
export function openaiDoor<B>(check: (body: unknown) => Invalid): Door<B> {
  return {
    hasKey: (req, key) => req.headers.authorization === `Bearer ${key}`,
    keyMessage: 'Incorrect API key provided.',
    fail: (res, status, message, extra) => sendError(res, status, message, extra?.param ?? null, extra?.headers, extra?.code),
    read(_req, parsed) {
      const invalid = parsed ? check(parsed.value) : { message: 'the body is not valid JSON', param: 'body' };
      return invalid ? { invalid: invalid.message, param: invalid.param, ...(invalid.code ? { code: invalid.code } : {}) } : { body: parsed!.value as B };
    },
    retryAfter: [429, 503],
  };
}

/**
 * Everything every API path does before it answers (chat, embeddings, responses, the native formats alike, so
 * fault injection applies to each): count the request, check the key, read and check the body, draw the
 * fault, then play out the faults that need no answer body (hang, latency, an error status, a reset).
 * Resolves to the turn to answer, or undefined when the request has already been answered or abandoned.
 */
export async function admitThrough<B>(core: SimulatorCore, req: IncomingMessage, res: ServerResponse, door: Door<B>): Promise<Turn<B> | undefined> {
  const abort = track(core, res);
  let text: string;
  try {
    text = await readBody(req);
  } catch (err) {
    if (err instanceof BodyTooLargeError) {
      core.record('too_large');
      door.fail(res, 413, 'request body too large');
    }
    return undefined;
  }
  const key = core.apiKey;
  if (key !== undefined && !door.hasKey(req, key)) {
    core.record('unauthorized');
    door.fail(res, 401, door.keyMessage);
    return undefined;
  }
  const read = door.read(req, tryParseJson(text));
  if ('invalid' in read) {
    core.record('bad_request');
    door.fail(res, 400, read.invalid, read);
    return undefined;
  }
  const body = read.body;
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
    const retryAfter = door.retryAfter.includes(fault.status) ? fault.retryAfterSeconds ?? turn.spec.retryAfterSeconds : undefined;
    door.fail(res, fault.status, fault.message, retryAfter === undefined ? undefined : { headers: { 'retry-after': String(retryAfter) } });
    return undefined;
  }
  if (fault?.kind === 'reset') {
    // A TCP RST, like a provider's load balancer dropping the connection.
    req.socket.resetAndDestroy();
    return undefined;
  }
  return turn;
}

/** `admitThrough` OpenAI's door. */
export const admit = <B>(core: SimulatorCore, req: IncomingMessage, res: ServerResponse, check: (body: unknown) => Invalid) =>
  admitThrough<B>(core, req, res, openaiDoor<B>(check));

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
