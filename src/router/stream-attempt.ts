import { OpenAIError } from 'openai';
import { Stream } from 'openai/streaming';
import type { ChatCompletionChunk } from 'openai/resources/chat/completions';
import { classify, InvalidResponseError } from '../endpoint/classify.js';
import { carryHeaders } from '../endpoint/answer-headers.js';
import type { ChunkStream } from '../endpoint/transport.js';
import { finishExplainsEmpty, isChunkShaped, isContentChunk } from '../endpoint/validate.js';
import type { AttemptRunner, RequestRun } from './request-run.js';
import { failureResult } from './attempt.js';
import { follow, notAChunk, unreadVerdict, type Reader } from './stream-follow.js';
import { attemptHeaders, failedRun, type CompleteContext } from './complete-attempt.js';

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
      upstream = await endpoint.stream(ctx.params, scope, attemptHeaders(ctx.headers, attempt.headers), ctx.serialized);
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
    // The provider's headers, for `.withResponse()` as on a plain answer.
    return { kind: 'handoff', value: carryHeaders(upstream, new Stream(tail, caller)) };
  };
}

