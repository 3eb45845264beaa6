import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { BasicTracerProvider, InMemorySpanExporter, SimpleSpanProcessor } from '@opentelemetry/sdk-trace-node';
import { afterAll, describe, expect, it } from 'vitest';
import { instrument } from '../../src/telemetry/index.js';
import { fakeRouter, fallBackTwice } from './fake-router.js';

/*
 * A real Prometheus (Debian package) scraping the exposition: it must parse our OpenMetrics (counter family
 * names without `_total`, exemplars after samples) and store the exemplars, and still know the counters as
 * `…_total`. Skipped where Prometheus is not installed.
 */
const PROMETHEUS = '/usr/bin/prometheus';
const cleanup: Array<() => void> = [];
afterAll(() => {
  for (const c of cleanup.reverse()) c();
});

async function freePort(): Promise<number> {
  const s = createServer();
  await new Promise<void>((resolve) => s.listen(0, '127.0.0.1', resolve));
  const { port } = s.address() as AddressInfo;
  await new Promise((resolve) => s.close(resolve));
  return port;
}

async function until<T>(what: string, fn: () => Promise<T | undefined>, ms = 20_000): Promise<T> {
  const deadline = Date.now() + ms;
  for (;;) {
    const v = await fn().catch(() => undefined);
    if (v !== undefined) return v;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 200));
  }
}

describe('a real Prometheus scraping the exposition', () => {
  it('parses the OpenMetrics output, keeps `_total` names and stores the exemplars with our trace id', async () => {
    const router = fakeRouter();
    const exporter = new InMemorySpanExporter();
    const tracer = new BasicTracerProvider({ spanProcessors: [new SimpleSpanProcessor(exporter)] }).getTracer('t');
    const telemetry = instrument(router, { tracer });
    cleanup.push(() => telemetry.stop());
    fallBackTwice(router.events);
    const traceId = exporter.getFinishedSpans()[0]!.spanContext().traceId;
    const accepts: string[] = [];
    const target: Server = createServer((req, res) => {
      accepts.push(req.headers.accept ?? '');
      void telemetry.scrape(req.headers.accept).then(({ contentType, body }) => {
        res.writeHead(200, { 'content-type': contentType }).end(body);
      });
    });
    await new Promise<void>((resolve) => target.listen(0, '127.0.0.1', resolve));
    cleanup.push(() => target.close());

    const dir = mkdtempSync(join(tmpdir(), 'switchyard-prom-'));
    cleanup.push(() => rmSync(dir, { recursive: true, force: true }));
    const config = join(dir, 'prometheus.yml');
    const targetAddr = `127.0.0.1:${(target.address() as AddressInfo).port}`;
    writeFileSync(config, `global: { scrape_interval: 1s }\nscrape_configs:\n  - job_name: switchyard\n    static_configs: [{ targets: ['${targetAddr}'] }]\n`);
    const port = await freePort();
    const prom: ChildProcess = spawn(
      PROMETHEUS,
      [`--config.file=${config}`, `--web.listen-address=127.0.0.1:${port}`, `--storage.tsdb.path=${join(dir, 'data')}`, '--enable-feature=exemplar-storage'],
      { stdio: 'ignore' },
    );
    cleanup.push(() => prom.kill('SIGKILL'));
    const api = async (path: string) => {
      const res = await fetch(`http://127.0.0.1:${port}/api/v1/${path}`);
      return (await res.json()) as { data: unknown };
    };

    const value = await until('the first scrape', async () => {
      const { data } = await api(`query?query=${encodeURIComponent('switchyard_requests_total{route="chat",outcome="success"}')}`);
      const result = (data as { result: Array<{ value: [number, string] }> }).result;
      return result[0]?.value[1];
    });
    expect(value).toBe('1');
    expect(accepts[0]).toContain('application/openmetrics-text');
    const health = (await api('targets')).data as { activeTargets: Array<{ health: string; lastError: string }> };
    expect(health.activeTargets[0]).toMatchObject({ health: 'up', lastError: '' });

    const now = Date.now() / 1000;
    const exemplars = await until('exemplars', async () => {
      const q = encodeURIComponent('switchyard_attempt_duration_seconds_bucket');
      const { data } = await api(`query_exemplars?query=${q}&start=${now - 600}&end=${now + 600}`);
      const list = data as Array<{ exemplars: Array<{ labels: Record<string, string> }> }>;
      return list.length > 0 ? list : undefined;
    });
    const traceIds = exemplars.flatMap((s) => s.exemplars.map((e) => e.labels.trace_id));
    expect(traceIds).toContain(traceId);

    // Every SPEC metric is known to Prometheus under its SPEC name.
    const names = ((await api('label/__name__/values')).data as string[]).filter((n) => n.startsWith('switchyard_'));
    for (const n of ['switchyard_requests_total', 'switchyard_attempts_total', 'switchyard_short_circuits_total',
      'switchyard_fallbacks_total', 'switchyard_circuit_state', 'switchyard_circuit_transitions_total', 'switchyard_tokens_total',
      'switchyard_request_duration_seconds_bucket', 'switchyard_attempt_duration_seconds_count']) {
      expect(names).toContain(n);
    }
  });
});
