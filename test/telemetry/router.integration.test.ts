import { context, propagation, ROOT_CONTEXT, SpanKind, SpanStatusCode, trace } from '@opentelemetry/api';
import { InMemorySpanExporter, NodeTracerProvider, SimpleSpanProcessor, type ReadableSpan } from '@opentelemetry/sdk-trace-node';
import { afterEach, describe, expect, it } from 'vitest';
import { instrument, type Instrumentation } from '../../src/telemetry/index.js';
import { sampleValue, samples } from './fake-router.js';
import { ask, simRig, type SimRig } from './sim-rig.js';

const OPENMETRICS = 'application/openmetrics-text;version=1.0.0,text/plain;version=0.0.4;q=0.5';

let rig: SimRig | undefined;
let telemetry: Instrumentation | undefined;
let provider: NodeTracerProvider | undefined;
afterEach(async () => {
  telemetry?.stop();
  await rig?.close();
  await provider?.shutdown();
  rig = telemetry = provider = undefined;
  trace.disable();
  context.disable();
  propagation.disable();
});

function sdk(): InMemorySpanExporter {
  const exporter = new InMemorySpanExporter();
  provider = new NodeTracerProvider({ spanProcessors: [new SimpleSpanProcessor(exporter)] });
  provider.register();
  return exporter;
}

describe('telemetry on the real router and simulators', () => {
  it('a request that skips one endpoint and falls back twice yields the right span tree, under the caller trace', async () => {
    const exporter = sdk();
    rig = await simRig();
    telemetry = instrument(rig.router);
    rig.router.forceOpen('skipped');
    const traceId = '4bf92f3577b34da6a3ce929d0e0e4736';
    const incoming = propagation.extract(ROOT_CONTEXT, { traceparent: `00-${traceId}-00f067aa0ba902b7-01` });
    const answer = await context.with(incoming, () => rig!.router.chat.completions.create(ask));
    expect(answer.choices[0]!.message.content).toBeTruthy();

    const spans = exporter.getFinishedSpans();
    const req = spans.find((s) => s.name === 'switchyard.request')!;
    expect(req.parentSpanContext).toMatchObject({ traceId, spanId: '00f067aa0ba902b7', isRemote: true });
    expect(req.attributes).toMatchObject({ 'switchyard.route': 'chat', 'switchyard.outcome': 'success', 'switchyard.attempts': 3 });
    expect(req.events.filter((e) => e.name === 'switchyard.skip').map((e) => e.attributes)).toEqual([
      expect.objectContaining({ 'switchyard.endpoint': 'skipped', 'switchyard.skip.reason': 'open' }),
    ]);

    const attempts = spans.filter((s) => s.kind === SpanKind.CLIENT);
    const byNumber = (n: number) => attempts.find((s) => s.attributes['switchyard.attempt'] === n) as ReadableSpan;
    expect(attempts).toHaveLength(3);
    expect([1, 2, 3].map((n) => byNumber(n).name)).toEqual(['chat model-broken', 'chat model-slow', 'chat model-good']);
    for (const s of attempts) {
      expect(s.spanContext().traceId).toBe(traceId);
      expect(s.parentSpanContext?.spanId).toBe(req.spanContext().spanId);
      expect(s.attributes).toMatchObject({ 'gen_ai.operation.name': 'chat', 'server.address': '127.0.0.1' });
      expect(typeof s.attributes['gen_ai.provider.name']).toBe('string');
    }
    expect(byNumber(1).attributes).toMatchObject({
      'switchyard.endpoint': 'broken',
      'switchyard.outcome': 'server_error',
      'server.port': rig.broken.port,
    });
    expect(byNumber(1).attributes['error.type']).toBeTruthy();
    expect(byNumber(1).status.code).toBe(SpanStatusCode.ERROR);
    expect(byNumber(2).attributes).toMatchObject({ 'switchyard.endpoint': 'slow', 'switchyard.outcome': 'timeout' });
    expect(byNumber(2).status.code).toBe(SpanStatusCode.ERROR);
    expect(byNumber(3).attributes).toMatchObject({
      'switchyard.endpoint': 'good',
      'switchyard.outcome': 'success',
      'gen_ai.request.model': 'model-good',
      'gen_ai.response.model': 'model-good',
      'server.port': rig.good.port,
    });
    expect(byNumber(3).attributes['gen_ai.usage.input_tokens']).toBeGreaterThan(0);
    expect(byNumber(3).attributes['gen_ai.usage.output_tokens']).toBeGreaterThan(0);
    expect(byNumber(3).status.code).toBe(SpanStatusCode.UNSET);
    // Nothing secret in any span.
    expect(JSON.stringify(spans.map((s) => [s.attributes, s.events, s.status]))).not.toContain('sk-canary');

    // The same request in the metrics, with exemplars pointing at this trace.
    const { body } = await telemetry.scrape(OPENMETRICS);
    expect(body).toMatch(new RegExp(`switchyard_requests_total\\{route="chat",outcome="success"\\} 1 # \\{trace_id="${traceId}"`));
    const good = byNumber(3).spanContext().spanId;
    expect(body).toMatch(new RegExp(`switchyard_attempts_total\\{route="chat",endpoint="good",outcome="success"\\} 1 # \\{trace_id="${traceId}",span_id="${good}"\\}`));
  });

  it('counts the request, attempts, skip, fallbacks, tokens, circuit state and transitions', async () => {
    rig = await simRig();
    telemetry = instrument(rig.router);
    // Right after start, before any traffic: every configured endpoint is closed.
    let text = (await telemetry.scrape()).body;
    for (const e of ['skipped', 'broken', 'slow', 'good']) {
      expect(sampleValue(text, `switchyard_circuit_state{endpoint="${e}",state="closed"}`)).toBe(1);
      expect(sampleValue(text, `switchyard_circuit_state{endpoint="${e}",state="open"}`)).toBe(0);
    }
    rig.router.forceOpen('skipped');
    await rig.router.chat.completions.create(ask);
    const stream = await rig.router.chat.completions.create({ ...ask, model: 'good', stream: true, stream_options: { include_usage: true } });
    for await (const _chunk of stream) void _chunk;

    text = (await telemetry.scrape('text/plain')).body;
    const v = (s: string) => sampleValue(text, s);
    expect(v('switchyard_requests_total{route="chat",outcome="success"}')).toBe(1);
    expect(v('switchyard_requests_total{route="good",outcome="success"}')).toBe(1);
    expect(v('switchyard_attempts_total{route="chat",endpoint="broken",outcome="server_error"}')).toBe(1);
    expect(v('switchyard_attempts_total{route="chat",endpoint="slow",outcome="timeout"}')).toBe(1);
    expect(v('switchyard_attempts_total{route="chat",endpoint="good",outcome="success"}')).toBe(1);
    expect(v('switchyard_short_circuits_total{route="chat",endpoint="skipped"}')).toBe(1);
    expect(v('switchyard_fallbacks_total{route="chat",from="broken",to="slow"}')).toBe(1);
    expect(v('switchyard_fallbacks_total{route="chat",from="slow",to="good"}')).toBe(1);
    expect(v('switchyard_circuit_state{endpoint="skipped",state="open"}')).toBe(1);
    expect(v('switchyard_circuit_transitions_total{endpoint="skipped",to="open"}')).toBe(1);
    expect(v('switchyard_attempt_duration_seconds_count{endpoint="slow",outcome="timeout"}')).toBe(1);
    expect(v('switchyard_attempt_duration_seconds_sum{endpoint="slow",outcome="timeout"}')).toBeGreaterThanOrEqual(0.25);
    expect(v('switchyard_request_duration_seconds_count{route="chat",outcome="success"}')).toBe(1);
    expect(v('switchyard_time_to_first_token_seconds_count{endpoint="good"}')).toBe(1);
    expect(v('switchyard_tokens_total{endpoint="good",type="output"}')).toBeGreaterThan(0);
    expect(text).not.toContain('trace_id'); // no SDK, and text format anyway
    expect(text).not.toContain('sk-canary');
  });

  it('the number of series does not move for requests naming unknown models', async () => {
    rig = await simRig();
    telemetry = instrument(rig.router);
    await rig.router.chat.completions.create(ask);
    const before = samples((await telemetry.scrape()).body).length;
    const beforeOm = samples((await telemetry.scrape(OPENMETRICS)).body).length;
    for (let i = 0; i < 100; i++) {
      await expect(rig.router.chat.completions.create({ ...ask, model: `gpt-${i}-${Math.random()}` })).rejects.toThrow();
    }
    await rig.router.chat.completions.create(ask);
    expect(samples((await telemetry.scrape()).body).length).toBe(before);
    expect(samples((await telemetry.scrape(OPENMETRICS)).body).length).toBe(beforeOm);
  });
});
