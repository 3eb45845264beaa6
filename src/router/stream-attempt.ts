import { OpenAIError } from 'openai';
import { Stream } from 'openai/streaming';
import type { ChatCompletionChunk } from 'openai/resources/chat/completions';
import { classify, InvalidResponseError, type AbortCause, type Classified } from '../endpoint/classify.js';
import type { Endpoint } from '../endpoint/endpoint.js';
import type { ChunkStream } from '../endpoint/transport.js';
import { finishExplainsEmpty, isChunkShaped, isContentChunk } from '../endpoint/validate.js';
import { StreamInterruptedError } from '../errors/router-errors.js';
import { failureResult, type AttemptFinisher, type AttemptRunner, type RequestRun } from './request-run.js';
import { attemptHeaders, failedRun, type CompleteContext } from './complete-attempt.js';
import type { AttemptScope } from './scope.js';

type Chunks = AsyncIterator<ChatCompletionChunk>;

/**
 * The controller of the Stream handed to the caller: `stream.controller.abort()` cancels the attempt. A
 * subclass rather than a listener on its signal, which would create the signal (costly on Node 20) for
 * every stream; the signal is only made if someone reads it or it is aborted.
 */
class CallerController extends AbortController {
  constructor(private readonly onAbort: () => void) {
    super();
  }

  override abort(reason?: unknown): void {
    if (!this.signal.aborted) this.onAbort();
    super.abort(reason);
  }
}

/**
 * A streaming attempt. Chunks are held back until the first one with content: until then the attempt may
 * still fail and the router fall back, and the caller has seen nothing. From that chunk on the stream is the
 * caller's, a failure ends it with an error, and two models' outputs are never glued together.
 */
export function streamRunner(ctx: CompleteContext, run: RequestRun): AttemptRunner<Stream<ChatCompletionChunk>> {
  return async (endpoint, attempt, scope, finish) => {
    const started = ctx.now();
    const failed = (e: unknown) =>
      failedRun(e, classify(e, scope.abortCause, endpoint.spec.firstTokenTimeoutMs, ctx.now(), scope.evidence()), ctx.now() - started, ctx.scrub);
    scope.arm(endpoint.spec.firstTokenTimeoutMs);
    let upstream: ChunkStream;
    try {
      upstream = await endpoint.stream(ctx.params, scope, attemptHeaders(ctx.headers, attempt.headers));
    } catch (e) {
      return failed(e);
    }
    const it = upstream[Symbol.asyncIterator]();
    const held: ChatCompletionChunk[] = [];
    try {
      for (;;) {
        const r = await it.next();
        // The SDK ends a stream quietly when it is aborted: only the scope knows it was a timeout.
        if (r.done) {
          if (scope.abortCause) return failed(undefined);
          // No content at all: an answer if how it finished explains it (max_tokens, a filter, the caller's
          // own stop sequence), else an empty answer with a normal finish.
          if (ctx.rules.rejectEmpty && !held.some((c) => c.choices?.some((ch) => finishExplainsEmpty(ch.finish_reason, ctx.params)))) {
            throw new InvalidResponseError('stream ended without content');
          }
          break;
        }
        if (!isChunkShaped(r.value)) throw notAChunk();
        held.push(r.value);
        if (isContentChunk(r.value)) break;
      }
    } catch (e) {
      upstream.controller.abort();
      return failed(e);
    }
    const ttft = ctx.now() - started;
    const caller = new CallerController(() => scope.abort('cancelled'));
    const reader: Reader = { pulling: false, verdict: undefined };
    // Set by the first next(): a second iteration is refused.
    let reading = false;
    // Until the caller asks for a chunk, the idle limit is how long it may leave the stream unread.
    scope.arm(endpoint.spec.streamIdleTimeoutMs);
    // An abort while the provider is being read ends that read, which settles the attempt. Any other time
    // (the caller has not read yet, holds a chunk, or dropped the stream without return()) nothing would
    // ever settle it: the upstream and a half-open probe would be held, and close() would leave the request
    // running. It is settled here, at once; the caller's next read ends as the verdict says.
    scope.onAbort(() => {
      if (reader.pulling) return;
      upstream.controller.abort();
      const c = unreadVerdict(scope.abortCause, endpoint.spec.streamIdleTimeoutMs);
      reader.verdict = c;
      finish({ ...failureResult(c, ctx.now() - started), timeToFirstTokenMs: ttft }, c);
      run.endAborted();
    });
    const tail = (): AsyncIterableIterator<ChatCompletionChunk> => {
      const chunks = follow({ endpoint, scope, finish, run, it, held, started, ttft, now: ctx.now, reader });
      let mine = false;
      return {
        next: () => {
          // As the SDK's own Stream: one iteration reads the provider's stream, a second one is refused.
          if (reading && !mine) return Promise.reject(new OpenAIError('Cannot iterate over a consumed stream, use `.tee()` to split the stream.'));
          reading = mine = true;
          return chunks.next();
        },
        // An async generator returned before its first next() never runs its body, nor the finally that
        // finishes the attempt: a caller stopping there has cancelled, which the abort handler above settles.
        return: (value?: unknown) => {
          if (!reading) scope.abort('cancelled');
          return chunks.return(value);
        },
        [Symbol.asyncIterator]() {
          return this;
        },
      };
    };
    return { kind: 'handoff', value: new Stream(tail, caller) };
  };
}

const notAChunk = () => new InvalidResponseError('stream event is not a chat completion chunk');

/** Where the caller's reading of a handed-off stream stands, shared by its abort handler and `follow`. */
interface Reader {
  /** A read of the provider's stream is under way: it sees an abort itself. */
  pulling: boolean;
  /** How the attempt ended when an abort settled it outside a read. */
  verdict: Classified | undefined;
}

/**
 * An attempt aborted while no read of the provider was under way. The idle limit passing then is the
 * caller's pace (it held a chunk, or never asked for one), not the endpoint's: cancelled, not counted.
 */
function unreadVerdict(cause: AbortCause | undefined, idleMs: number): Classified {
  if (cause === 'timeout') return { outcome: 'cancelled', blame: 'caller', errorType: 'cancelled', message: `the caller did not read the stream for ${idleMs}ms` };
  return classify(undefined, cause ?? 'cancelled', 0);
}

interface FollowArgs {
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

async function* follow(a: FollowArgs): AsyncGenerator<ChatCompletionChunk> {
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
