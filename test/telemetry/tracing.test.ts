import { context, propagation, SpanKind, SpanStatusCode, trace, type Tracer } from '@opentelemetry/api';
import {
  BasicTracerProvider,
  InMemorySpanExporter,
  NodeTracerProvider,
  SimpleSpanProcessor,
  type ReadableSpan,
} from '@opentelemetry/sdk-trace-node';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { REQUEST_SPAN_NAME, traceRouter, withIncomingContext } from '../../src/telemetry/index.js';
import { fakeRouter, fallBackTwice, requestInfo } from './fake-router.js';

function inMemory(): { exporter: InMemorySpanExporter; tracer: Tracer } {
  const exporter = new InMemorySpanExporter();
  const provider = new BasicTracerProvider({ spanProcessors: [new SimpleSpanProcessor(exporter)] });
  return { exporter, tracer: provider.getTracer('test') };
}

const ms = (t: ReadableSpan['startTime']) => t[0] * 1000 + t[1] / 1e6;

/** The headers each attempt sends upstream, as they are once the tracing listener (subscribed first) ran. */
function upstreamHeaders(router: ReturnType<typeof fakeRouter>): Record<string, string>[] {
  const sent: Record<string, string>[] = [];
  router.events.on('attempt:start', (attempt) => sent.push(attempt.headers as Record<string, string>));
  return sent;
}

describe('tracing: span tree of a request', () => {
  it('a request that falls back twice: one request span, three CLIENT attempt spans, skip and fallback events', () => {
    const router = fakeRouter();
    const { exporter, tracer } = inMemory();
    traceRouter(router, { tracer });
    const t0 = Date.now() - 5000;
    fallBackTwice(router.events, t0);

    const spans = exporter.getFinishedSpans();
    expect(spans).toHaveLength(4);
    const req = spans.find((s) => s.name === REQUEST_SPAN_NAME)!;
    expect(req.kind).toBe(SpanKind.INTERNAL);
    expect(req.parentSpanContext).toBeUndefined();
    expect(req.attributes).toMatchObject({
      'switchyard.route': 'chat',
      'switchyard.outcome': 'success',
      'switchyard.attempts': 3,
      'switchyard.endpoint': 'backup',
    });
    expect(req.attributes['error.type']).toBeUndefined();
    expect(req.status.code).toBe(SpanStatusCode.UNSET);
    expect(ms(req.startTime)).toBeCloseTo(t0, 0);
    expect(ms(req.endTime)).toBeCloseTo(t0 + 950, 0);

    const skips = req.events.filter((e) => e.name === 'switchyard.skip');
    expect(skips).toHaveLength(1);
    expect(skips[0]!.attributes).toEqual({
      'switchyard.endpoint': 'primary',
      'switchyard.skip.reason': 'open',
      'switchyard.retry_at': t0 + 30_000,
    });
    expect(req.events.filter((e) => e.name === 'switchyard.fallback').map((e) => e.attributes)).toEqual([
      { 'switchyard.fallback.from': 'secondary', 'switchyard.fallback.to': 'tertiary' },
      { 'switchyard.fallback.from': 'tertiary', 'switchyard.fallback.to': 'backup' },
    ]);

    const attempts = spans.filter((s) => s.kind === SpanKind.CLIENT).sort((a, b) => ms(a.startTime) - ms(b.startTime));
    expect(attempts.map((s) => s.name)).toEqual(['chat model-secondary', 'chat model-tertiary', 'chat model-backup']);
    for (const s of attempts) {
      expect(s.parentSpanContext?.spanId).toBe(req.spanContext().spanId);
      expect(s.spanContext().traceId).toBe(req.spanContext().traceId);
      expect(s.attributes).toMatchObject({
        'gen_ai.operation.name': 'chat',
        'gen_ai.provider.name': 'openai',
        'server.address': '127.0.0.1',
        'switchyard.route': 'chat',
      });
    }
    const [a1, a2, a3] = attempts as [ReadableSpan, ReadableSpan, ReadableSpan];
    expect(a1.attributes).toMatchObject({
      'gen_ai.request.model': 'model-secondary',
      'switchyard.endpoint': 'secondary',
      'switchyard.attempt': 1,
      'switchyard.outcome': 'server_error',
      'error.type': 'server_error',
      'http.response.status_code': 503,
      'server.port': 4001,
    });
    expect(a1.status).toEqual({ code: SpanStatusCode.ERROR, message: 'server_error upstream' });
    expect(ms(a1.endTime) - ms(a1.startTime)).toBeCloseTo(120, 0);
    expect(a2.attributes).toMatchObject({ 'switchyard.attempt': 2, 'switchyard.outcome': 'timeout', 'error.type': 'timeout' });
    expect(a2.status.code).toBe(SpanStatusCode.ERROR);
    expect(a3.attributes).toMatchObject({
      'gen_ai.request.model': 'model-backup',
      'gen_ai.response.model': 'model-backup-2024',
      'gen_ai.usage.input_tokens': 12,
      'gen_ai.usage.output_tokens': 34,
      'switchyard.endpoint': 'backup',
      'switchyard.attempt': 3,
      'switchyard.outcome': 'success',
    });
    expect(a3.attributes['error.type']).toBeUndefined();
    expect(a3.status.code).toBe(SpanStatusCode.UNSET);
  });

  it('a failed request gets error status and error.type on its span', () => {
    const router = fakeRouter();
    const { exporter, tracer } = inMemory();
    traceRouter(router, { tracer, requestSpanKind: SpanKind.SERVER });
    const request = requestInfo('fast');
    router.events.emit('request:start', request);
    router.events.emit('skip', request, 'secondary', 'open', Date.now() + 1000);
    router.events.emit('request:end', request, { outcome: 'unavailable', durationMs: 1, attempts: 0 });
    const [span] = exporter.getFinishedSpans();
    expect(span!.kind).toBe(SpanKind.SERVER);
    expect(span!.status.code).toBe(SpanStatusCode.ERROR);
    expect(span!.attributes).toMatchObject({ 'error.type': 'unavailable', 'switchyard.outcome': 'unavailable', 'switchyard.attempts': 0 });
  });

  it('stop() unsubscribes', () => {
    const router = fakeRouter();
    const { exporter, tracer } = inMemory();
    traceRouter(router, { tracer }).stop();
    fallBackTwice(router.events);
    expect(exporter.getFinishedSpans()).toHaveLength(0);
    expect(router.events.listenerCount('request:start')).toBe(0);
  });
});

describe('tracing: context', () => {
  let provider: NodeTracerProvider | undefined;
  /** A tracer provider registered globally (as an SDK is), recording into memory; afterEach unregisters it. */
  const registerInMemory = (): InMemorySpanExporter => {
    const exporter = new InMemorySpanExporter();
    provider = new NodeTracerProvider({ spanProcessors: [new SimpleSpanProcessor(exporter)] });
    provider.register();
    return exporter;
  };
  afterEach(async () => {
    await provider?.shutdown();
    provider = undefined;
    trace.disable();
    context.disable();
    propagation.disable();
  });

  it('honours an incoming traceparent: the request span is a child of the remote span', () => {
    const exporter = registerInMemory();
    const router = fakeRouter();
    const tracing = traceRouter(router); // the global tracer, as the gateway uses it
    const sent = upstreamHeaders(router);
    const traceId = '4bf92f3577b34da6a3ce929d0e0e4736';
    const parentId = '00f067aa0ba902b7';
    withIncomingContext({ traceparent: `00-${traceId}-${parentId}-01`, 'x-other': ['a', 'b'] }, () => {
      fallBackTwice(router.events);
    });
    const spans = exporter.getFinishedSpans();
    expect(spans).toHaveLength(4);
    for (const s of spans) expect(s.spanContext().traceId).toBe(traceId);
    const req = spans.find((s) => s.name === REQUEST_SPAN_NAME)!;
    expect(req.parentSpanContext).toMatchObject({ traceId, spanId: parentId, isRemote: true });
    // Each provider call carries the trace on, from its own attempt span.
    const attemptIds = spans.filter((s) => s.kind === SpanKind.CLIENT).map((s) => s.spanContext().spanId);
    expect(sent.map((h) => h.traceparent?.split('-')[2]).sort()).toEqual(attemptIds.sort());
    for (const h of sent) expect(h.traceparent).toMatch(new RegExp(`^00-${traceId}-[0-9a-f]{16}-01$`));
    tracing.stop();
  });

  it('the request span is a child of the caller active span (embedded use)', () => {
    const exporter = registerInMemory();
    const router = fakeRouter();
    traceRouter(router);
    const tracer = trace.getTracer('caller');
    tracer.startActiveSpan('handle-user-question', (outer) => {
      fallBackTwice(router.events);
      outer.end();
    });
    const outer = exporter.getFinishedSpans().find((s) => s.name === 'handle-user-question')!;
    const req = exporter.getFinishedSpans().find((s) => s.name === REQUEST_SPAN_NAME)!;
    expect(req.parentSpanContext?.spanId).toBe(outer.spanContext().spanId);
  });

  it('a request without trace headers runs in the active context as it is (no context.with)', () => {
    const exporter = registerInMemory();
    const router = fakeRouter();
    traceRouter(router);
    trace.getTracer('caller').startActiveSpan('outer', (outer) => {
      const active = context.active();
      const spy = vi.spyOn(context, 'with');
      withIncomingContext({ 'content-type': 'application/json', 'x-other': 'a' }, () => {
        expect(spy).not.toHaveBeenCalled();
        spy.mockRestore();
        expect(context.active()).toBe(active);
        fallBackTwice(router.events);
      });
      outer.end();
    });
    const outer = exporter.getFinishedSpans().find((s) => s.name === 'outer')!;
    const req = exporter.getFinishedSpans().find((s) => s.name === REQUEST_SPAN_NAME)!;
    expect(req.parentSpanContext?.spanId).toBe(outer.spanContext().spanId);
  });

  it('with no SDK registered nothing breaks, nothing is recorded, and no trace header is sent upstream', () => {
    const router = fakeRouter();
    const tracing = traceRouter(router);
    const sent = upstreamHeaders(router);
    let request: ReturnType<typeof requestInfo> | undefined;
    expect(() => {
      request = withIncomingContext({ traceparent: '00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01' }, () =>
        fallBackTwice(router.events),
      );
    }).not.toThrow();
    const ctx = tracing.requestSpanContext(request!);
    expect(ctx === undefined || !trace.isSpanContextValid(ctx)).toBe(true);
    // Without an SDK there is no propagator: the incoming traceparent is not passed on to the providers.
    expect(sent).toHaveLength(3);
    for (const h of sent) expect(h).toEqual({});
    tracing.stop();
  });

  it('costs nothing while no provider is registered, and traces the requests that start once one is', () => {
    const router = fakeRouter();
    const tracing = traceRouter(router);
    const before = fallBackTwice(router.events);
    expect(tracing.requestSpanContext(before)).toBeUndefined();

    const exporter = new InMemorySpanExporter();
    const provider = new BasicTracerProvider({ spanProcessors: [new SimpleSpanProcessor(exporter)] });
    trace.setGlobalTracerProvider(provider);
    try {
      const after = fallBackTwice(router.events);
      expect(trace.isSpanContextValid(tracing.requestSpanContext(after)!)).toBe(true);
      expect(exporter.getFinishedSpans()).toHaveLength(4);
    } finally {
      trace.disable();
      tracing.stop();
    }
  });
});
