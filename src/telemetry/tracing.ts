import {
  ProxyTracerProvider,
  propagation,
  SpanKind,
  SpanStatusCode,
  context,
  trace,
  type Attributes,
  type Context,
  type Span,
  type SpanContext,
  type Tracer,
} from '@opentelemetry/api';
import { genAiOperationName } from '../endpoint/operation.js';
import type { AttemptInfo, AttemptResult, RequestInfo, RequestResult } from '../router/events.js';
import type { Router } from '../router/types.js';
import { subscribe, warnOnce, type ErrorHandler } from './listeners.js';
import { PACKAGE_VERSION } from './version.js';

export const TRACER_NAME = 'switchyard';
export const REQUEST_SPAN_NAME = 'switchyard.request';
export const SKIP_EVENT_NAME = 'switchyard.skip';
export const FALLBACK_EVENT_NAME = 'switchyard.fallback';

export interface TracingOptions {
  /** Default: `trace.getTracer('switchyard', version)`, a no-op until an SDK is registered. */
  tracer?: Tracer;
  /**
   * INTERNAL by default: embedded, the request span sits inside the caller's own work. A gateway with no
   * HTTP server span of its own may pass SERVER.
   */
  requestSpanKind?: SpanKind;
  onError?: ErrorHandler;
}

export interface RouterTracing {
  requestSpanContext(request: RequestInfo): SpanContext | undefined;
  attemptSpanContext(attempt: AttemptInfo): SpanContext | undefined;
  /** The context with the attempt's span active: inject it into the upstream call's headers to continue the trace. */
  attemptContext(attempt: AttemptInfo): Context | undefined;
  stop(): void;
}

interface Traced {
  readonly span: Span;
  readonly context: Context;
}

// What the global API hands out while no SDK is registered.
const NOOP_PROVIDER = new ProxyTracerProvider().getDelegate();

/**
 * True while no tracer provider is registered: every span would be a no-op and nothing would propagate
 * (no propagator either), so a request is not traced at all rather than paying for spans of nothing.
 */
function globalTracingOff(): boolean {
  const provider = trace.getTracerProvider();
  return provider instanceof ProxyTracerProvider && provider.getDelegate() === NOOP_PROVIDER;
}

/** One span per request and one CLIENT span per attempt (GenAI semantic conventions), from the router's events. */
export function traceRouter(router: Pick<Router, 'events'>, options: TracingOptions = {}): RouterTracing {
  const tracer = options.tracer ?? trace.getTracer(TRACER_NAME, PACKAGE_VERSION);
  // A tracer given explicitly is always used; the global one only once an SDK registers a provider.
  const off = options.tracer ? () => false : globalTracingOff;
  const requestKind = options.requestSpanKind ?? SpanKind.INTERNAL;
  // Keyed on the event objects themselves: nothing to clean up when a request vanishes mid-way.
  const requests = new WeakMap<RequestInfo, Traced>();
  const attempts = new WeakMap<AttemptInfo, Traced>();

  const start = (name: string, kind: SpanKind, startTime: number, attributes: Attributes, parent: Context) => {
    const span = tracer.startSpan(name, { kind, startTime, attributes }, parent);
    return { span, context: trace.setSpan(parent, span) };
  };

  const unsubscribe = subscribe(
    router.events,
    {
      // Emitted synchronously inside the caller's call: the active context is the caller's (or the one the
      // gateway extracted from `traceparent`).
      'request:start'(request) {
        if (off()) return;
        const attributes = { 'switchyard.route': request.route, 'switchyard.stream': request.stream };
        requests.set(request, start(REQUEST_SPAN_NAME, requestKind, request.startedAt, attributes, context.active()));
      },
      'attempt:start'(attempt) {
        // No request span: tracing was off when the request started (or it started before this subscribed).
        const parent = requests.get(attempt.request)?.context;
        if (!parent) return;
        const traced = start(`${genAiOperationName(attempt.request.operation)} ${attempt.model}`, SpanKind.CLIENT, attempt.startedAt, attemptAttributes(attempt), parent);
        attempts.set(attempt, traced);
        // The provider (vLLM, a proxy, another gateway) continues the trace from this attempt's span.
        propagation.inject(traced.context, attempt.headers);
      },
      'attempt:end'(attempt, result) {
        const span = attempts.get(attempt)?.span;
        if (span) endAttempt(span, attempt, result);
      },
      skip(request, endpoint, reason, retryAt) {
        const attributes: Attributes = { 'switchyard.endpoint': endpoint, 'switchyard.skip.reason': reason };
        // Epoch ms of the earliest time the endpoint takes traffic again (the next probe, or Retry-After).
        if (Number.isFinite(retryAt) && retryAt > 0) attributes['switchyard.retry_at'] = retryAt;
        requests.get(request)?.span.addEvent(SKIP_EVENT_NAME, attributes);
      },
      fallback(request, from, to) {
        requests.get(request)?.span.addEvent(FALLBACK_EVENT_NAME, {
          'switchyard.fallback.from': from,
          'switchyard.fallback.to': to,
        });
      },
      'request:end'(request, result) {
        const span = requests.get(request)?.span;
        if (span) endRequest(span, request, result);
      },
    },
    options.onError ?? warnOnce(),
  );

  return {
    requestSpanContext: (request) => requests.get(request)?.span.spanContext(),
    attemptSpanContext: (attempt) => attempts.get(attempt)?.span.spanContext(),
    attemptContext: (attempt) => attempts.get(attempt)?.context,
    stop: unsubscribe,
  };
}

function attemptAttributes(attempt: AttemptInfo): Attributes {
  const attributes: Attributes = {
    'gen_ai.operation.name': genAiOperationName(attempt.request.operation),
    'gen_ai.provider.name': attempt.providerName,
    'gen_ai.request.model': attempt.model,
    'server.address': attempt.serverAddress,
    'switchyard.route': attempt.request.route,
    'switchyard.endpoint': attempt.endpoint,
    'switchyard.attempt': attempt.number,
  };
  if (attempt.serverPort !== undefined) attributes['server.port'] = attempt.serverPort;
  return attributes;
}

function endAttempt(span: Span, attempt: AttemptInfo, result: AttemptResult): void {
  if (span.isRecording()) {
    const attributes: Attributes = { 'switchyard.outcome': result.outcome };
    if (result.responseModel !== undefined) attributes['gen_ai.response.model'] = result.responseModel;
    if (result.inputTokens !== undefined) attributes['gen_ai.usage.input_tokens'] = result.inputTokens;
    if (result.outputTokens !== undefined) attributes['gen_ai.usage.output_tokens'] = result.outputTokens;
    if (result.status !== undefined) attributes['http.response.status_code'] = result.status;
    if (result.outcome !== 'success') attributes['error.type'] = result.errorType ?? result.outcome;
    span.setAttributes(attributes);
    if (result.timeToFirstTokenMs !== undefined) {
      span.addEvent('switchyard.first_token', attempt.startedAt + result.timeToFirstTokenMs);
    }
    if (result.outcome !== 'success') {
      span.setStatus({ code: SpanStatusCode.ERROR, message: result.message ?? result.outcome });
    }
  }
  span.end(attempt.startedAt + result.durationMs);
}

function endRequest(span: Span, request: RequestInfo, result: RequestResult): void {
  if (span.isRecording()) {
    const attributes: Attributes = { 'switchyard.outcome': result.outcome, 'switchyard.attempts': result.attempts };
    if (result.endpoint !== undefined) attributes['switchyard.endpoint'] = result.endpoint;
    if (result.outcome !== 'success') attributes['error.type'] = result.outcome;
    span.setAttributes(attributes);
    if (result.outcome !== 'success') span.setStatus({ code: SpanStatusCode.ERROR, message: result.outcome });
  }
  span.end(request.startedAt + result.durationMs);
}
