import { APIError, OpenAIError } from 'openai';
import type { ResponseCreateParams, ResponseStreamEvent } from 'openai/resources/responses/responses';
import { Stream } from 'openai/streaming';
import { classify, InvalidResponseError, type Classified } from '../endpoint/classify.js';
import type { Endpoint } from '../endpoint/endpoint.js';
import { isContentEvent, isEventShaped, isFailureEvent, isTerminalEvent } from '../endpoint/operation-validate.js';
import { StreamInterruptedError } from '../errors/router-errors.js';
import type { AttemptResult } from './events.js';
import { attemptHeaders, failedRun } from './complete-attempt.js';
import type { OperationContext } from './operation-attempt.js';
import { failureResult, type AttemptRunner, type RequestRun } from './request-run.js';

/** A provider's `error` / `response.failed` event, thrown as the SDK throws an error event in a chat stream. */
const failureEvent = (e: ResponseStreamEvent) => new APIError(undefined, e, `provider sent ${e.type}`, undefined);
const notAnEvent = () => new InvalidResponseError('stream event is not a Responses API event');

/** What a finished stream reports: the model and usage of its terminal event. */
function successOf(e: ResponseStreamEvent | undefined): Partial<AttemptResult> {
  if (!e || !('response' in e) || !e.response) return {};
  const r = e.response;
  return {
    ...(r.model ? { responseModel: r.model } : {}),
    ...(r.usage ? { inputTokens: r.usage.input_tokens, outputTokens: r.usage.output_tokens } : {}),
  };
}

/**
 * A streamed Responses API attempt, as streamRunner is for chat: events are held back until the first one
 * with output (the commit point); until then a failure falls back and the caller has seen nothing. After
 * it the stream is the caller's: a failure ends it with an error, never glued to another model's output.
 * `onCommit` hears the response id the caller is about to see (`response.created`).
 */
export function responsesStreamRunner(
  ctx: OperationContext,
  params: ResponseCreateParams,
  run: RequestRun,
  onCommit?: (responseId: string, endpoint: Endpoint) => void,
): AttemptRunner<Stream<ResponseStreamEvent>> {
  return async (endpoint, attempt, scope, finish) => {
    const started = ctx.now();
    const failed = (e: unknown) =>
      failedRun(e, classify(e, scope.abortCause, endpoint.spec.firstTokenTimeoutMs, ctx.now(), scope.evidence()), ctx.now() - started, ctx.scrub);
    scope.arm(endpoint.spec.firstTokenTimeoutMs);
    let upstream: Stream<ResponseStreamEvent>;
    try {
      const body = { ...params, model: endpoint.spec.model };
      upstream = await ctx.client(endpoint.spec.provider).responsesStream(body, scope, attemptHeaders(ctx.headers, attempt.headers));
    } catch (e) {
      return failed(e);
    }
    const it = upstream[Symbol.asyncIterator]();
    const held: ResponseStreamEvent[] = [];
    let terminal: ResponseStreamEvent | undefined;
    try {
      for (;;) {
        const r = await it.next();
        if (r.done) {
          if (scope.abortCause) return failed(undefined);
          throw new InvalidResponseError('stream ended before any output');
        }
        if (!isEventShaped(r.value)) throw notAnEvent();
        if (isFailureEvent(r.value)) throw failureEvent(r.value);
        held.push(r.value);
        if (isTerminalEvent(r.value)) {
          terminal = r.value;
          const output = 'response' in r.value ? r.value.response?.output ?? [] : [];
          if (ctx.rules.rejectEmpty && output.length === 0) throw new InvalidResponseError('stream ended without content');
          break;
        }
        if (isContentEvent(r.value)) break;
      }
    } catch (e) {
      upstream.controller.abort();
      return failed(e);
    }
    const created = held.find((e) => e.type === 'response.created');
    if (created && 'response' in created && typeof created.response?.id === 'string') onCommit?.(created.response.id, endpoint);
    const ttft = ctx.now() - started;
    let pulling = false;
    let settled: Classified | undefined;
    let ended = false;
    const end = (c: Classified | undefined, last?: ResponseStreamEvent) => {
      if (ended) return;
      ended = true;
      const durationMs = ctx.now() - started;
      finish(c ? { ...failureResult(c, durationMs), timeToFirstTokenMs: ttft } : { outcome: 'success', durationMs, timeToFirstTokenMs: ttft, ...successOf(last) }, c);
      if (!c) run.end('success');
      else if (c.outcome !== 'cancelled') run.end('failed');
      else run.endAborted();
    };
    scope.arm(endpoint.spec.streamIdleTimeoutMs);
    // An abort while no read of the provider is under way (the caller holds an event, or dropped the
    // stream) would settle nothing: it is settled here, as the chat stream does.
    scope.onAbort(() => {
      if (pulling || ended) return;
      upstream.controller.abort();
      settled = scope.abortCause === 'timeout'
        ? { outcome: 'cancelled', blame: 'caller', errorType: 'cancelled', message: `the caller did not read the stream for ${endpoint.spec.streamIdleTimeoutMs}ms` }
        : classify(undefined, scope.abortCause ?? 'cancelled', 0);
      end(settled);
    });
    const follow = async function* (): AsyncGenerator<ResponseStreamEvent> {
      let verdict: { c?: Classified; last?: ResponseStreamEvent } | undefined;
      try {
        for (const e of held) {
          if (scope.abortCause) break;
          yield e;
        }
        if (terminal) verdict = { last: terminal };
        while (!verdict && !scope.abortCause) {
          pulling = true;
          let r: IteratorResult<ResponseStreamEvent>;
          try {
            r = await it.next();
          } finally {
            pulling = false;
          }
          if (r.done || scope.abortCause) break;
          scope.arm(endpoint.spec.streamIdleTimeoutMs);
          if (!isEventShaped(r.value)) throw notAnEvent();
          if (isFailureEvent(r.value)) throw failureEvent(r.value);
          yield r.value;
          if (isTerminalEvent(r.value)) verdict = { last: r.value };
        }
        if (!verdict) {
          verdict = settled
            ? { c: settled }
            : scope.abortCause
              ? { c: classify(undefined, scope.abortCause, endpoint.spec.streamIdleTimeoutMs) }
              : { c: classify(new InvalidResponseError('stream ended before response.completed'), undefined, 0) };
        }
      } catch (e) {
        verdict = { c: settled ?? classify(e, scope.abortCause, endpoint.spec.streamIdleTimeoutMs, ctx.now()) };
      } finally {
        // No verdict: the caller stopped reading (break / return()), a cancellation.
        if (!verdict) {
          scope.abort('cancelled');
          verdict = { c: classify(undefined, 'cancelled', 0) };
        }
        end(verdict.c, verdict.last);
        upstream.controller.abort();
      }
      const c = verdict.c;
      if (c && !(c.outcome === 'cancelled' && scope.abortCause === 'cancelled')) {
        throw new StreamInterruptedError(run.route, endpoint.spec.id, scope.abortCause === 'deadline' ? 'timeout' : c.outcome, c.message);
      }
    };
    let reading = false;
    const source = follow();
    const iterator = (): AsyncIterableIterator<ResponseStreamEvent> => {
      let mine = false;
      return {
        next: () => {
          if (reading && !mine) return Promise.reject(new OpenAIError('Cannot iterate over a consumed stream, use `.tee()` to split the stream.'));
          reading = mine = true;
          return source.next();
        },
        // A generator returned before its first next() never runs its finally: the abort handler settles it.
        return: (value?: unknown) => {
          if (!reading) scope.abort('cancelled');
          return source.return(value as undefined);
        },
        [Symbol.asyncIterator]() {
          return this;
        },
      };
    };
    const caller = new AbortController();
    caller.signal.addEventListener('abort', () => scope.abort('cancelled'), { once: true });
    return { kind: 'handoff', value: new Stream(iterator, caller) };
  };
}
