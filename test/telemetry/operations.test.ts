import { context, propagation, trace } from '@opentelemetry/api';
import { InMemorySpanExporter, NodeTracerProvider, SimpleSpanProcessor } from '@opentelemetry/sdk-trace-node';
import { afterEach, describe, expect, it } from 'vitest';
import { instrument, type Instrumentation } from '../../src/telemetry/index.js';
import { simRig, type SimRig } from './sim-rig.js';

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

describe('spans of the operations other than chat', () => {
  it('name their gen_ai.operation.name (embeddings; chat for the Responses API) and go through the same fallbacks', async () => {
    const exporter = new InMemorySpanExporter();
    provider = new NodeTracerProvider({ spanProcessors: [new SimpleSpanProcessor(exporter)] });
    provider.register();
    rig = await simRig();
    telemetry = instrument(rig.router);
    rig.router.forceOpen('skipped');
    await rig.router.dispatchEmbeddings({ model: 'chat', input: 'x' });
    const attempts = exporter.getFinishedSpans().filter((s) => s.attributes['switchyard.attempt'] !== undefined);
    expect(attempts.map((s) => s.name)).toEqual(['embeddings model-broken', 'embeddings model-slow', 'embeddings model-good']);
    expect(new Set(attempts.map((s) => s.attributes['gen_ai.operation.name']))).toEqual(new Set(['embeddings']));
    exporter.reset();
    await rig.router.dispatchResponses({ model: 'good', input: 'x' });
    const [span] = exporter.getFinishedSpans().filter((s) => s.attributes['switchyard.attempt'] !== undefined);
    expect(span!.name).toBe('chat model-good');
    expect(span!.attributes['gen_ai.usage.output_tokens']).toBeGreaterThan(0);
  });
});
