import { context, propagation, SpanKind, trace } from '@opentelemetry/api';
import { InMemorySpanExporter, NodeTracerProvider, SimpleSpanProcessor } from '@opentelemetry/sdk-trace-node';
import pino from 'pino';
import { Registry } from 'prom-client';
import { afterEach, describe, expect, it } from 'vitest';
import { parseConfig } from '../../src/config/load.js';
import { createGateway, type Gateway } from '../../src/gateway/app.js';
import { instrument, type Instrumentation } from '../../src/telemetry/index.js';
import { samples } from './fake-router.js';
import { ask, simRig, type SimRig } from './sim-rig.js';

/* The gateway as `switchyard serve` wires it, over real HTTP: traceparent in, /metrics out. */

const PROMETHEUS_ACCEPT =
  'application/openmetrics-text;version=1.0.0,application/openmetrics-text;version=0.0.1;q=0.75,text/plain;version=0.0.4;q=0.5,*/*;q=0.1';

let rig: SimRig | undefined;
let telemetry: Instrumentation | undefined;
let gateway: Gateway | undefined;
let provider: NodeTracerProvider | undefined;
afterEach(async () => {
  await gateway?.close({ graceMs: 100 });
  telemetry?.stop();
  await rig?.close();
  await provider?.shutdown();
  rig = telemetry = gateway = provider = undefined;
  trace.disable();
  context.disable();
  propagation.disable();
});

async function start(): Promise<{ url: string; exporter: InMemorySpanExporter }> {
  const exporter = new InMemorySpanExporter();
  provider = new NodeTracerProvider({ spanProcessors: [new SimpleSpanProcessor(exporter)] });
  provider.register();
  rig = await simRig();
  telemetry = instrument(rig.router, { requestSpanKind: SpanKind.SERVER });
  gateway = createGateway({
    router: rig.router,
    config: parseConfig(rig.config),
    metrics: telemetry,
    logger: pino({ level: 'silent' }),
  });
  const { url } = await gateway.listen(0, '127.0.0.1');
  return { url, exporter };
}

const post = (url: string, body: unknown, headers: Record<string, string> = {}) =>
  fetch(`${url}/v1/chat/completions`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...headers },
    body: JSON.stringify(body),
  });

describe('telemetry through the gateway', () => {
  it('honours an incoming traceparent and serves exemplars with that trace id to Prometheus', async () => {
    const { url, exporter } = await start();
    rig!.router.forceOpen('skipped');
    const traceId = '0af7651916cd43dd8448eb211c80319c';
    const res = await post(url, ask, { traceparent: `00-${traceId}-b7ad6b7169203331-01` });
    expect(res.status).toBe(200);
    await res.json();

    const spans = exporter.getFinishedSpans();
    const req = spans.find((s) => s.name === 'switchyard.request')!;
    expect(req.kind).toBe(SpanKind.SERVER);
    expect(req.parentSpanContext).toMatchObject({ traceId, spanId: 'b7ad6b7169203331' });
    expect(spans.filter((s) => s.kind === SpanKind.CLIENT).map((s) => s.spanContext().traceId)).toEqual([traceId, traceId, traceId]);

    const om = await fetch(`${url}/metrics`, { headers: { accept: PROMETHEUS_ACCEPT } });
    expect(om.headers.get('content-type')).toBe(Registry.OPENMETRICS_CONTENT_TYPE);
    const omBody = await om.text();
    expect(omBody).toContain(`switchyard_requests_total{route="chat",outcome="success"} 1 # {trace_id="${traceId}"`);
    expect(omBody.endsWith('# EOF\n')).toBe(true);

    const text = await fetch(`${url}/metrics`);
    expect(text.headers.get('content-type')).toBe(Registry.PROMETHEUS_CONTENT_TYPE);
    const textBody = await text.text();
    expect(textBody).toContain('switchyard_requests_total{route="chat",outcome="success"} 1\n');
    expect(textBody).not.toContain('trace_id');
  });

  it('unknown models and random headers do not add a single series', async () => {
    const { url } = await start();
    expect((await post(url, ask)).status).toBe(200);
    const count = async (accept?: string) =>
      samples(await (await fetch(`${url}/metrics`, accept ? { headers: { accept } } : {})).text()).length;
    const before = [await count(), await count(PROMETHEUS_ACCEPT)];
    for (let i = 0; i < 60; i++) {
      const res = await post(url, { ...ask, model: `model-${i}-${Math.random().toString(36).slice(2)}` }, {
        [`x-random-${i}`]: Math.random().toString(36),
        traceparent: `00-${'1'.repeat(31)}${i % 10}-${'2'.repeat(16)}-01`,
        'x-switchyard-route': `evil-${i}`,
      });
      expect(res.status).toBe(404);
    }
    expect((await post(url, ask)).status).toBe(200);
    expect([await count(), await count(PROMETHEUS_ACCEPT)]).toEqual(before);
  });
});
