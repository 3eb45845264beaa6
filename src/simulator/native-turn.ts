import type { IncomingMessage, ServerResponse } from 'node:http';
import type { SimulatorCore } from './core.js';
import { BodyTooLargeError, readBody, sendJson, tryParseJson } from './http.js';
import { mulberry32 } from './random.js';
import type { ChatRequest } from './responses.js';
import { untilAborted } from './timers.js';
import { track, wait, type Turn } from './turn.js';

/**
 * What a provider wire format other than OpenAI's (Anthropic Messages, Gemini) needs of the shared
 * admission: its key header, its error body, and its request read as the chat request answers are made from.
 */
export interface Dialect {
  /** The header carrying the key (`x-api-key`, `x-goog-api-key`). */
  readonly keyHeader: string;
  /** The provider's error answer for `status`. */
  error(status: number, message: string | undefined): { body: string; headers?: Record<string, string>; /** The status really sent, when the provider sends another. */ status?: number };
  /** Why the request's headers are refused with a 400 (a required version header missing), if they are. */
  headers?(req: IncomingMessage): string | undefined;
  /** The native body as a ChatRequest, or why it is refused with a 400. */
  read(body: unknown, path: string): ChatRequest | { invalid: string };
}

/**
 * `admit` of turn.ts for a native wire format: counts the request, checks the key and body, draws the fault
 * and plays out the faults that need no answer body, answering errors in the dialect's shape.
 */
export async function admitNative(core: SimulatorCore, req: IncomingMessage, res: ServerResponse, dialect: Dialect, path: string): Promise<Turn<ChatRequest> | undefined> {
  const abort = track(core, res);
  const fail = (status: number, message?: string, extra?: Record<string, string>) => {
    const e = dialect.error(status, message);
    sendJson(res, e.status ?? status, e.body, { ...e.headers, ...extra });
  };
  let text: string;
  try {
    text = await readBody(req);
  } catch (err) {
    if (err instanceof BodyTooLargeError) {
      core.record('too_large');
      fail(413, 'request body too large');
    }
    return undefined;
  }
  const key = core.apiKey;
  if (key !== undefined && req.headers[dialect.keyHeader] !== key) {
    core.record('unauthorized');
    fail(401, `missing or wrong ${dialect.keyHeader}`);
    return undefined;
  }
  const parsed = tryParseJson(text);
  const wrongHeaders = dialect.headers?.(req);
  const read = wrongHeaders !== undefined ? { invalid: wrongHeaders } : parsed ? dialect.read(parsed.value, path) : { invalid: 'the body is not valid JSON' };
  if ('invalid' in read) {
    core.record('bad_request');
    fail(400, read.invalid);
    return undefined;
  }
  if (read.stream === true) core.countStream();
  core.seeModel(read.model);
  const { fault, seed } = core.nextRequest();
  core.recordFault(fault);
  const turn: Turn<ChatRequest> = { core, req, res, spec: core.spec, body: read, fault, rng: mulberry32(seed), signal: abort.signal };
  if (fault?.kind === 'hang') {
    await untilAborted(abort.signal);
    return undefined;
  }
  if (!(await wait(turn, turn.spec.latencyMs ?? 0))) return undefined;
  if (fault?.kind === 'status') {
    const retryAfter = fault.status === 429 || fault.status === 503 || fault.status === 529 ? fault.retryAfterSeconds ?? turn.spec.retryAfterSeconds : undefined;
    fail(fault.status, fault.message, retryAfter === undefined ? undefined : { 'retry-after': String(retryAfter) });
    return undefined;
  }
  if (fault?.kind === 'reset') {
    req.socket.resetAndDestroy();
    return undefined;
  }
  return turn;
}

/** An SSE event with an `event:` name (Anthropic) or none (Gemini). */
export const sse = (data: unknown, event?: string) => `${event ? `event: ${event}\n` : ''}data: ${JSON.stringify(data)}\n\n`;
