import { createServer, type IncomingHttpHeaders, type Server } from 'node:http';
import { context, propagation, trace } from '@opentelemetry/api';
import { InMemorySpanExporter, NodeTracerProvider, SimpleSpanProcessor } from '@opentelemetry/sdk-trace-node';
import { afterEach, describe, expect, it } from 'vitest';
import { createRouter } from '../../src/router/router.js';
import type { Router } from '../../src/router/types.js';
import { instrument } from '../../src/telemetry/index.js';

/** An OpenAI-compatible upstream that records the headers of each request. */
async function recordingUpstream(seen: IncomingHttpHeaders[]): Promise<Server> {
  const server = createServer((req, res) => {
    seen.push(req.headers);
    req.resume().on('end', () => {
      res.writeHead(200, { 'content-type': 'application/json' });
      res.end(JSON.stringify({ id: 'x', object: 'chat.completion', created: 0, model: 'm', choices: [{ index: 0, finish_reason: 'stop', message: { role: 'assistant', content: 'hi' } }] }));
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  return server;
}

let server: Server | undefined;
let router: Router | undefined;
let provider: NodeTracerProvider | undefined;
afterEach(async () => {
  await router?.close();
  await new Promise((r) => (server ? server.close(r) : r(undefined)));
  await provider?.shutdown();
  trace.disable();
  context.disable();
  propagation.disable();
});

/** One plain request through an instrumented router to a recording upstream; returns the headers it saw. */
async function headersSeenUpstream(): Promise<IncomingHttpHeaders> {
  const seen: IncomingHttpHeaders[] = [];
  server = await recordingUpstream(seen);
  const { port } = server.address() as { port: number };
  router = createRouter({
    providers: { local: { baseURL: `http://127.0.0.1:${port}/v1` } },
    endpoints: { e: { provider: 'local', model: 'm' } },
  });
  const telemetry = instrument(router);
  await router.chat.completions.create({ model: 'e', messages: [{ role: 'user', content: 'x' }] });
  telemetry.stop();
  return seen[0]!;
}

describe('trace context to the provider', () => {
  it('sends each attempt\'s own span as traceparent upstream', async () => {
    const exporter = new InMemorySpanExporter();
    provider = new NodeTracerProvider({ spanProcessors: [new SimpleSpanProcessor(exporter)] });
    provider.register();
    const headers = await headersSeenUpstream();
    const attempt = exporter.getFinishedSpans().find((s) => s.name === 'chat m')!;
    const { traceId, spanId } = attempt.spanContext();
    expect(headers.traceparent).toBe(`00-${traceId}-${spanId}-01`);
  });

  it('adds no header when no tracing SDK is registered', async () => {
    expect((await headersSeenUpstream()).traceparent).toBeUndefined();
  });
});
