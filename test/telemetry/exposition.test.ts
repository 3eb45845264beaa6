import { SpanKind } from '@opentelemetry/api';
import { BasicTracerProvider, InMemorySpanExporter, SimpleSpanProcessor } from '@opentelemetry/sdk-trace-node';
import { Registry } from 'prom-client';
import { describe, expect, it } from 'vitest';
import { createOpenMetricsRegistry, instrument, prefersOpenMetrics, renderMetrics } from '../../src/telemetry/index.js';
import { fakeRouter, fallBackTwice, samples } from './fake-router.js';

const PROMETHEUS_ACCEPT =
  'application/openmetrics-text;version=1.0.0,application/openmetrics-text;version=0.0.1;q=0.75,text/plain;version=0.0.4;q=0.5,*/*;q=0.1';

function tracer() {
  const exporter = new InMemorySpanExporter();
  const provider = new BasicTracerProvider({ spanProcessors: [new SimpleSpanProcessor(exporter)] });
  return { exporter, tracer: provider.getTracer('test') };
}

describe('content negotiation for GET /metrics', () => {
  it.each([
    [PROMETHEUS_ACCEPT, true],
    ['application/openmetrics-text; version=1.0.0; charset=utf-8', true],
    ['text/plain;version=0.0.4;q=0.9,application/openmetrics-text;q=0.5', false],
    ['application/openmetrics-text;q=0', false],
    ['*/*', false],
    ['text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8', false],
    ['', false],
    [undefined, false],
  ])('Accept %s → OpenMetrics %s', (accept, expected) => {
    expect(prefersOpenMetrics(accept)).toBe(expected);
  });

  it('serves the registry it has when only one format is available', async () => {
    const om = createOpenMetricsRegistry();
    expect((await renderMetrics('text/plain', undefined, om)).contentType).toBe(Registry.OPENMETRICS_CONTENT_TYPE);
    const text = new Registry();
    expect((await renderMetrics(PROMETHEUS_ACCEPT, text, undefined)).contentType).toBe(Registry.PROMETHEUS_CONTENT_TYPE);
  });
});

describe('exemplars', () => {
  it('OpenMetrics output carries the trace and span ids of the request and the attempts', async () => {
    const router = fakeRouter();
    const { exporter, tracer: t } = tracer();
    const telemetry = instrument(router, { tracer: t });
    fallBackTwice(router.events);
    const spans = exporter.getFinishedSpans();
    const requestSpan = spans.find((s) => s.kind === SpanKind.INTERNAL)!;
    const backup = spans.find((s) => s.attributes['switchyard.endpoint'] === 'backup')!;
    const traceId = requestSpan.spanContext().traceId;

    const { contentType, body } = await telemetry.scrape(PROMETHEUS_ACCEPT);
    expect(contentType).toBe(Registry.OPENMETRICS_CONTENT_TYPE);
    expect(body.endsWith('# EOF\n')).toBe(true);
    const requests = samples(body).find((l) => l.startsWith('switchyard_requests_total{route="chat",outcome="success"}'));
    expect(requests).toMatch(
      new RegExp(` 1 # \\{trace_id="${traceId}",span_id="${requestSpan.spanContext().spanId}"\\} 1 \\d`),
    );
    const attempt = samples(body).find((l) =>
      l.startsWith('switchyard_attempt_duration_seconds_bucket{le="0.32",endpoint="backup",outcome="success"}'),
    );
    expect(attempt).toContain(`# {trace_id="${traceId}",span_id="${backup.spanContext().spanId}"} 0.3`);
    // OpenMetrics names the counter family without `_total` and its samples with it.
    expect(body).toContain('# TYPE switchyard_requests counter');

    const text = await telemetry.scrape('text/plain');
    expect(text.body).not.toContain('trace_id');
    expect(text.body).toContain('# TYPE switchyard_requests_total counter');
    telemetry.stop();
  });

  it('adds no exemplar when the span is not sampled (or no SDK is registered)', async () => {
    const router = fakeRouter();
    const telemetry = instrument(router);
    fallBackTwice(router.events);
    const { body } = await telemetry.scrape(PROMETHEUS_ACCEPT);
    expect(body).toContain('switchyard_requests_total{route="chat",outcome="success"} 1');
    expect(body).not.toContain('trace_id');
    telemetry.stop();
  });

  it('a caller-supplied OpenMetrics registry gets exemplars and no twin is created', async () => {
    const router = fakeRouter();
    const { tracer: t } = tracer();
    const registry = createOpenMetricsRegistry();
    const telemetry = instrument(router, { registry, tracer: t });
    expect(telemetry.openMetricsRegistry).toBe(registry);
    fallBackTwice(router.events);
    expect(await registry.metrics()).toMatch(/switchyard_attempts_total\{[^}]*\} 1 # \{trace_id="[0-9a-f]{32}"/);
    telemetry.stop();
  });

  it('records each event once: the OpenMetrics registry shows views of the text metrics, in both formats alike', async () => {
    const router = fakeRouter();
    const telemetry = instrument(router);
    expect(router.events.listenerCount('request:end')).toBe(2); // tracing + the metrics, not one per registry
    fallBackTwice(router.events);
    const om = (await telemetry.scrape(PROMETHEUS_ACCEPT)).body;
    const text = (await telemetry.scrape('text/plain')).body;
    const series = (body: string) =>
      samples(body)
        .filter((l) => l.startsWith('switchyard_') && !l.startsWith('switchyard_circuit_state'))
        .map((l) => l.split(' # ')[0]!)
        .sort();
    expect(series(om)).toEqual(series(text));
    expect(series(text)).toContain('switchyard_attempts_total{route="chat",endpoint="backup",outcome="success"} 1');
    telemetry.stop();
    expect(telemetry.openMetricsRegistry!.getMetricsAsArray()).toHaveLength(0);
  });

  it('a caller-supplied text registry is all that is fed unless an OpenMetrics one is asked for', async () => {
    const router = fakeRouter();
    const registry = new Registry();
    const telemetry = instrument(router, { registry });
    expect(telemetry.registry).toBe(registry);
    expect(telemetry.openMetricsRegistry).toBeUndefined();
    expect(router.events.listenerCount('request:end')).toBe(2); // tracing + one registry
    telemetry.stop();
    expect(router.events.listenerCount('request:end')).toBe(0);
  });
});
