import { context, propagation, trace } from '@opentelemetry/api';
import { createServer, type IncomingHttpHeaders, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { otlpTracesUrl } from '../../src/telemetry/otel-sdk.js';
import { startTracingSdk, traceRouter, withIncomingContext } from '../../src/telemetry/index.js';
import { fakeRouter, fallBackTwice } from './fake-router.js';

interface Received {
  url: string;
  headers: IncomingHttpHeaders;
  body: string;
}

async function collector(): Promise<{ server: Server; url: string; received: Received[] }> {
  const received: Received[] = [];
  const server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      received.push({ url: req.url ?? '', headers: req.headers, body: Buffer.concat(chunks).toString('utf8') });
      res.writeHead(200, { 'content-type': 'application/json' }).end('{}');
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return { server, url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`, received };
}

describe('startTracingSdk', () => {
  let server: Server | undefined;
  afterEach(async () => {
    await new Promise((resolve) => (server ? server.close(resolve) : resolve(undefined)));
    server = undefined;
    trace.disable();
    context.disable();
    propagation.disable();
  });

  it('registers nothing and returns undefined when no OTLP endpoint is set', async () => {
    expect(await startTracingSdk({ env: {} })).toBeUndefined();
    expect(await startTracingSdk({ env: { OTEL_EXPORTER_OTLP_ENDPOINT: 'http://x', OTEL_SDK_DISABLED: 'true' } })).toBeUndefined();
    expect(propagation.fields()).toEqual([]);
    const span = trace.getTracer('t').startSpan('x');
    expect(span.isRecording()).toBe(false);
    span.end();
  });

  it('derives the traces URL the OTLP way', () => {
    expect(otlpTracesUrl({ OTEL_EXPORTER_OTLP_ENDPOINT: 'http://c:4318/' })).toBe('http://c:4318/v1/traces');
    expect(otlpTracesUrl({ OTEL_EXPORTER_OTLP_ENDPOINT: 'http://c:4318', OTEL_EXPORTER_OTLP_TRACES_ENDPOINT: 'http://t/x' })).toBe('http://t/x');
    expect(otlpTracesUrl({ OTEL_EXPORTER_OTLP_ENDPOINT: ' ' })).toBeUndefined();
  });

  it('exports the router spans over OTLP/HTTP, honouring traceparent, and unregisters on shutdown', async () => {
    const c = await collector();
    server = c.server;
    const sdk = await startTracingSdk({
      serviceName: 'gateway-under-test',
      env: { OTEL_EXPORTER_OTLP_ENDPOINT: c.url, OTEL_EXPORTER_OTLP_HEADERS: 'x-tenant=acme%20co' },
    });
    expect(sdk).toBeDefined();
    expect(propagation.fields()).toContain('traceparent');

    const router = fakeRouter();
    const tracing = traceRouter(router);
    const traceId = '0af7651916cd43dd8448eb211c80319c';
    withIncomingContext({ traceparent: `00-${traceId}-b7ad6b7169203331-01` }, () => fallBackTwice(router.events));
    await sdk!.shutdown();
    tracing.stop();

    expect(c.received.length).toBeGreaterThan(0);
    const all = c.received.map((r) => r.body).join('\n');
    expect(c.received[0]!.url).toBe('/v1/traces');
    expect(c.received[0]!.headers['x-tenant']).toBe('acme co');
    expect(all).toContain(traceId);
    for (const name of ['switchyard.request', 'chat model-secondary', 'chat model-tertiary', 'chat model-backup']) {
      expect(all).toContain(name);
    }
    expect(all).toContain('gateway-under-test');
    // Globals are released: a later start (or a test) can register again.
    expect(propagation.fields()).toEqual([]);
    expect(trace.getTracer('t').startSpan('after').isRecording()).toBe(false);
  });
});
