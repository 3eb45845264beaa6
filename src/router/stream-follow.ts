import type { ChatCompletionChunk } from 'openai/resources/chat/completions';
import { classify, InvalidResponseError, type AbortCause, type Classified } from '../endpoint/classify.js';
import type { Endpoint } from '../endpoint/endpoint.js';
import { isChunkShaped } from '../endpoint/validate.js';
import { StreamInterruptedError } from '../errors/router-errors.js';
import { failureResult, type AttemptFinisher } from './attempt.js';
import type { RequestRun } from './request-run.js';
import type { AttemptScope } from './scope.js';

/*
 * A streamed attempt after its first content chunk: the caller reads it through `follow`, which ends the
 * attempt (its report and its verdict) however the stream ends: whole, broken by the provider, cut by the
 * caller, or aborted while nobody was reading (see Reader).
 */

type Chunks = AsyncIterator<ChatCompletionChunk>;

export const notAChunk = () => new InvalidResponseError('stream event is not a chat completion chunk');

/** Where the caller's reading of a handed-off stream stands, shared by its abort handler and `follow`. */
export interface Reader {
  /** A read of the provider's stream is under way: it sees an abort itself. */
  pulling: boolean;
  /** How the attempt ended when an abort settled it outside a read. */
  verdict: Classified | undefined;
}

/**
 * An attempt aborted while no read of the provider was under way. The idle limit passing then is the
 * caller's pace (it held a chunk, or never asked for one), not the endpoint's: cancelled, not counted.
 */
export function unreadVerdict(cause: AbortCause | undefined, idleMs: number): Classified {
  if (cause === 'timeout') return { outcome: 'cancelled', blame: 'caller', errorType: 'cancelled', message: `the caller did not read the stream for ${idleMs}ms` };
  return classify(undefined, cause ?? 'cancelled', 0);
}

export interface FollowArgs {
  endpoint: Endpoint;
  scope: AttemptScope;
  finish: AttemptFinisher;
  run: RequestRun;
  it: Chunks;
  held: ChatCompletionChunk[];
  started: number;
  ttft: number;
  now: () => number;
  reader: Reader;
}

export async function* follow(a: FollowArgs): AsyncGenerator<ChatCompletionChunk> {
  let ended: { classified?: Classified } | undefined;
  // By choice index: with `n` > 1, one choice's finish_reason says nothing of the others being whole.
  const started = new Set<number>();
  const finished = new Set<number>();
  let model: string | undefined;
  let usage: ChatCompletionChunk['usage'];
  const note = (c: ChatCompletionChunk) => {
    model ??= c.model;
    if (c.usage) usage = c.usage;
    if (c.choices) for (const ch of c.choices) (ch.finish_reason ? finished : started).add(ch.index ?? 0);
  };
  const everyChoiceFinished = () => {
    if (finished.size === 0) return false;
    for (const i of started) if (!finished.has(i)) return false;
    return true;
  };
  const idleMs = a.endpoint.spec.streamIdleTimeoutMs;
  try {
    for (const c of a.held) {
      if (a.scope.abortCause) break;
      note(c);
      yield c;
    }
    // The idle limit runs from the provider's last chunk: both transports buffer what it sent meanwhile,
    // so a read that times out is the provider's silence; one that never starts is the caller's (see Reader).
    while (!a.scope.abortCause) {
      a.reader.pulling = true;
      let r: IteratorResult<ChatCompletionChunk>;
      try {
        r = await a.it.next();
      } finally {
        a.reader.pulling = false;
      }
      // A chunk that came with an abort is not handed on: the stream ends here.
      if (r.done || a.scope.abortCause) break;
      a.scope.arm(idleMs);
      if (!isChunkShaped(r.value)) throw notAChunk();
      note(r.value);
      yield r.value;
    }
    if (a.reader.verdict) ended = { classified: a.reader.verdict };
    else if (a.scope.abortCause) ended = { classified: classify(undefined, a.scope.abortCause, idleMs) };
    else if (!everyChoiceFinished()) ended = { classified: classify(new InvalidResponseError('stream ended before its finish_reason'), undefined, 0) };
    else ended = {};
  } catch (e) {
    ended = { classified: a.reader.verdict ?? classify(e, a.scope.abortCause, idleMs, a.now()) };
  } finally {
    // No verdict means the caller stopped reading (break / return()): that is a cancellation.
    if (!ended) {
      a.scope.abort('cancelled');
      ended = { classified: classify(undefined, 'cancelled', 0) };
    }
    const durationMs = a.now() - a.started;
    const c = ended.classified;
    a.finish(
      c
        ? { ...failureResult(c, durationMs), timeToFirstTokenMs: a.ttft }
        : {
            outcome: 'success',
            durationMs,
            timeToFirstTokenMs: a.ttft,
            ...(model ? { responseModel: model } : {}),
            ...(usage ? { inputTokens: usage.prompt_tokens, outputTokens: usage.completion_tokens } : {}),
          },
      c,
    );
    if (!c) a.run.end('success');
    else if (c.outcome !== 'cancelled') a.run.end('failed');
    else a.run.endAborted();
  }
  const c = ended.classified;
  // A caller that cancelled gets a quiet end, as with the SDK; anything else is an error event.
  if (c && !(c.outcome === 'cancelled' && a.scope.abortCause === 'cancelled')) {
    throw new StreamInterruptedError(a.run.route, a.endpoint.spec.id, a.scope.abortCause === 'deadline' ? 'timeout' : c.outcome, c.message);
  }
}
