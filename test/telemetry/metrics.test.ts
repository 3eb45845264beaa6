import { Registry } from 'prom-client';
import { describe, expect, it } from 'vitest';
import { ATTEMPT_OUTCOMES, REQUEST_OUTCOMES } from '../../src/endpoint/outcome.js';
import { LLM_DURATION_BUCKETS } from '../../src/telemetry/buckets.js';
import { instrument, METRIC_NAMES } from '../../src/telemetry/index.js';
import { registerMetrics } from '../../src/telemetry/metrics.js';
import { ENDPOINTS, fakeRouter, fallBackTwice, requestInfo, samples } from './fake-router.js';

type Json = Awaited<ReturnType<Registry['getMetricsAsJSON']>>;

/** A sample's value; histogram parts by their sample name (`…_sum`, `…_count`). */
function valueOf(json: Json, name: string, labels: Record<string, string>): number | undefined {
  const family = name.replace(/_(sum|count)$/, '');
  const metric = json.find((m) => m.name === name) ?? json.find((m) => m.name === family);
  const values = (metric?.values ?? []) as Array<{ value: number; labels: object; metricName?: string }>;
  const hit = values.find((v) =>
    (v.metricName === undefined || v.metricName === name) &&
    Object.entries(labels).every(([k, val]) => (v.labels as Record<string, unknown>)[k] === val) &&
    Object.keys(v.labels).length === Object.keys(labels).length,
  );
  return hit?.value;
}

describe('metrics: names, types and labels (SPEC table)', () => {
  const spec: Array<[string, string, string[]]> = [
    ['switchyard_requests_total', 'counter', ['route', 'outcome']],
    ['switchyard_request_duration_seconds', 'histogram', ['route', 'outcome']],
    ['switchyard_attempts_total', 'counter', ['route', 'endpoint', 'outcome']],
    ['switchyard_attempt_duration_seconds', 'histogram', ['endpoint', 'outcome']],
    ['switchyard_short_circuits_total', 'counter', ['route', 'endpoint']],
    ['switchyard_fallbacks_total', 'counter', ['route', 'from', 'to']],
    ['switchyard_circuit_state', 'gauge', ['endpoint', 'state']],
    ['switchyard_circuit_transitions_total', 'counter', ['endpoint', 'to']],
    ['switchyard_time_to_first_token_seconds', 'histogram', ['endpoint']],
    ['switchyard_tokens_total', 'counter', ['endpoint', 'type']],
    // Beyond SPEC.md's table (docs/metrics.md): attribution made visible.
    ['switchyard_charges_total', 'counter', ['endpoint', 'verdict', 'reason']],
    ['switchyard_skips_total', 'counter', ['route', 'endpoint', 'reason']],
  ];

  it('registers exactly the SPEC metrics (and the documented additions) in the given registry, not the global one', async () => {
    const router = fakeRouter();
    const registry = new Registry();
    registerMetrics(router, registry);
    fallBackTwice(router.events);
    const text = await registry.metrics();
    for (const [name, type, labelNames] of spec) {
      expect(text).toContain(`# TYPE ${name} ${type}\n`);
      const metric = registry.getSingleMetric(name) as unknown as { labelNames: string[] };
      expect([...metric.labelNames].sort()).toEqual([...labelNames].sort());
    }
    expect(registry.getMetricsAsArray()).toHaveLength(spec.length);
    expect(Object.values(METRIC_NAMES).sort()).toEqual(spec.map((s) => s[0]).sort());
    const { register } = await import('prom-client');
    expect(register.getSingleMetric('switchyard_requests_total')).toBeUndefined();
  });

  it('uses LLM-sized buckets, 0.01 s doubling to 81.92 s, for durations and time to first token', async () => {
    expect(LLM_DURATION_BUCKETS).toEqual([0.01, 0.02, 0.04, 0.08, 0.16, 0.32, 0.64, 1.28, 2.56, 5.12, 10.24, 20.48, 40.96, 81.92]);
    const router = fakeRouter();
    const registry = new Registry();
    registerMetrics(router, registry);
    const request = requestInfo('chat');
    router.events.emit('request:start', request);
    router.events.emit('attempt:end', { ...baseAttempt(request), number: 1 }, { outcome: 'success', durationMs: 90_000, timeToFirstTokenMs: 250 });
    router.events.emit('request:end', request, { outcome: 'success', durationMs: 90_000, attempts: 1 });
    const text = await registry.metrics();
    for (const name of ['switchyard_request_duration_seconds', 'switchyard_attempt_duration_seconds', 'switchyard_time_to_first_token_seconds']) {
      const les = samples(text)
        .filter((l) => l.startsWith(`${name}_bucket`))
        .map((l) => /le="([^"]+)"/.exec(l)![1]);
      expect(les).toEqual([...LLM_DURATION_BUCKETS.map(String), '+Inf']);
    }
    // 90 s is beyond the last bucket: only +Inf counts it.
    expect(text).toContain('switchyard_request_duration_seconds_bucket{le="81.92",route="chat",outcome="success"} 0');
    expect(text).toContain('switchyard_request_duration_seconds_bucket{le="+Inf",route="chat",outcome="success"} 1');
    expect(text).toContain('switchyard_time_to_first_token_seconds_bucket{le="0.32",endpoint="primary"} 1');
  });

  it('counts a request that falls back twice: request, attempts, skip, fallbacks, tokens', async () => {
    const router = fakeRouter();
    const registry = new Registry();
    registerMetrics(router, registry);
    fallBackTwice(router.events);
    const json = await registry.getMetricsAsJSON();
    expect(valueOf(json, 'switchyard_requests_total', { route: 'chat', outcome: 'success' })).toBe(1);
    expect(valueOf(json, 'switchyard_attempts_total', { route: 'chat', endpoint: 'secondary', outcome: 'server_error' })).toBe(1);
    expect(valueOf(json, 'switchyard_attempts_total', { route: 'chat', endpoint: 'tertiary', outcome: 'timeout' })).toBe(1);
    expect(valueOf(json, 'switchyard_attempts_total', { route: 'chat', endpoint: 'backup', outcome: 'success' })).toBe(1);
    expect(valueOf(json, 'switchyard_short_circuits_total', { route: 'chat', endpoint: 'primary' })).toBe(1);
    expect(valueOf(json, 'switchyard_fallbacks_total', { route: 'chat', from: 'secondary', to: 'tertiary' })).toBe(1);
    expect(valueOf(json, 'switchyard_fallbacks_total', { route: 'chat', from: 'tertiary', to: 'backup' })).toBe(1);
    expect(valueOf(json, 'switchyard_tokens_total', { endpoint: 'backup', type: 'input' })).toBe(12);
    expect(valueOf(json, 'switchyard_tokens_total', { endpoint: 'backup', type: 'output' })).toBe(34);
    expect(valueOf(json, 'switchyard_attempt_duration_seconds_sum', { endpoint: 'tertiary', outcome: 'timeout' })).toBe(0.5);
    expect(valueOf(json, 'switchyard_request_duration_seconds_count', { route: 'chat', outcome: 'success' })).toBe(1);
  });

  it('shows every configured circuit, 0/1 per state, from circuits() at scrape time, before any event', async () => {
    const router = fakeRouter();
    const registry = new Registry();
    registerMetrics(router, registry);
    let json = await registry.getMetricsAsJSON();
    for (const endpoint of ENDPOINTS) {
      expect(valueOf(json, 'switchyard_circuit_state', { endpoint, state: 'closed' })).toBe(1);
      expect(valueOf(json, 'switchyard_circuit_state', { endpoint, state: 'open' })).toBe(0);
      expect(valueOf(json, 'switchyard_circuit_state', { endpoint, state: 'half_open' })).toBe(0);
    }
    router.states.set('primary', 'open');
    router.states.set('secondary', 'half_open');
    json = await registry.getMetricsAsJSON();
    expect(valueOf(json, 'switchyard_circuit_state', { endpoint: 'primary', state: 'open' })).toBe(1);
    expect(valueOf(json, 'switchyard_circuit_state', { endpoint: 'primary', state: 'closed' })).toBe(0);
    expect(valueOf(json, 'switchyard_circuit_state', { endpoint: 'secondary', state: 'half_open' })).toBe(1);
    expect(valueOf(json, 'switchyard_circuit_state', { endpoint: 'secondary', state: 'open' })).toBe(0);
  });

  it('counts transitions, with every (endpoint, to) series zeroed from the start', async () => {
    const router = fakeRouter();
    const registry = new Registry();
    registerMetrics(router, registry);
    let json = await registry.getMetricsAsJSON();
    for (const endpoint of ENDPOINTS) {
      for (const to of ['closed', 'open', 'half_open']) {
        expect(valueOf(json, 'switchyard_circuit_transitions_total', { endpoint, to })).toBe(0);
      }
    }
    router.events.emit('circuit', 'primary', 'closed', 'open');
    router.events.emit('circuit', 'primary', 'open', 'half_open');
    router.events.emit('circuit', 'primary', 'half_open', 'open');
    json = await registry.getMetricsAsJSON();
    expect(valueOf(json, 'switchyard_circuit_transitions_total', { endpoint: 'primary', to: 'open' })).toBe(2);
    expect(valueOf(json, 'switchyard_circuit_transitions_total', { endpoint: 'primary', to: 'half_open' })).toBe(1);
  });

  it('pre-creates the config-fixed counter series at zero so rate() sees the first event', async () => {
    const router = fakeRouter();
    const registry = new Registry();
    registerMetrics(router, registry);
    const json = await registry.getMetricsAsJSON();
    for (const outcome of REQUEST_OUTCOMES) expect(valueOf(json, 'switchyard_requests_total', { route: 'chat', outcome })).toBe(0);
    for (const outcome of ATTEMPT_OUTCOMES) {
      expect(valueOf(json, 'switchyard_attempts_total', { route: 'chat', endpoint: 'backup', outcome })).toBe(0);
    }
    expect(valueOf(json, 'switchyard_short_circuits_total', { route: 'fast', endpoint: 'secondary' })).toBe(0);
    expect(valueOf(json, 'switchyard_fallbacks_total', { route: 'chat', from: 'primary', to: 'secondary' })).toBe(0);
    expect(valueOf(json, 'switchyard_tokens_total', { endpoint: 'primary', type: 'output' })).toBe(0);
  });

  it('keeps `_total` on counters in the text format, even after an OpenMetrics scrape', async () => {
    const router = fakeRouter();
    const t = instrument(router);
    fallBackTwice(router.events);
    await t.scrape('application/openmetrics-text;version=1.0.0');
    const { body, contentType } = await t.scrape('text/plain');
    expect(contentType).toBe(Registry.PROMETHEUS_CONTENT_TYPE);
    expect(body).toContain('# TYPE switchyard_requests_total counter');
    expect(samples(body).filter((l) => /^switchyard_requests[{ ]/.test(l))).toEqual([]);
    expect(samples(body).some((l) => l.startsWith('switchyard_requests_total{'))).toBe(true);
    t.stop();
  });

  it('has a number of series fixed by the config: unknown routes and endpoints add none', async () => {
    const router = fakeRouter();
    const registry = new Registry();
    registerMetrics(router, registry);
    for (let i = 0; i < 5; i++) fallBackTwice(router.events);
    const before = samples(await registry.metrics()).length;
    for (let i = 0; i < 200; i++) {
      // Events the router never emits (it throws on unknown routes first), sent anyway: nothing may leak.
      const r = requestInfo(`model-${i}-${Math.random()}`);
      router.events.emit('request:start', r);
      router.events.emit('skip', r, `ep-${i}`, 'open', 0);
      router.events.emit('attempt:end', { ...baseAttempt(r), endpoint: `ep-${i}`, number: 1 }, { outcome: 'success', durationMs: 5 });
      router.events.emit('fallback', r, 'primary', `ep-${i}`);
      router.events.emit('request:end', r, { outcome: 'failed', durationMs: 5, attempts: 1 });
      router.events.emit('circuit', `ep-${i}`, 'closed', 'open');
    }
    for (let i = 0; i < 5; i++) fallBackTwice(router.events);
    expect(samples(await registry.metrics()).length).toBe(before);
  });

  it('stop() unsubscribes and frees the names, so the registry can be instrumented again', async () => {
    const router = fakeRouter();
    const registry = new Registry();
    const m = registerMetrics(router, registry);
    m.stop();
    expect(registry.getMetricsAsArray()).toHaveLength(0);
    expect(router.events.listenerCount('request:end')).toBe(0);
    registerMetrics(router, registry);
    fallBackTwice(router.events);
    expect(await registry.metrics()).toContain('switchyard_requests_total{route="chat",outcome="success"} 1');
  });

  it('never throws into the router: a failing subscriber reports aside', async () => {
    const router = fakeRouter();
    const errors: unknown[] = [];
    const registry = new Registry();
    registerMetrics(router, registry, { onError: (e) => errors.push(e) });
    const request = requestInfo('chat');
    // A negative token count makes prom-client throw ("It is not possible to decrease a counter").
    expect(() =>
      router.events.emit('attempt:end', { ...baseAttempt(request), number: 1 }, { outcome: 'success', durationMs: 1, inputTokens: -5 }),
    ).not.toThrow();
    expect(errors).toHaveLength(1);
  });
});

function baseAttempt(request: ReturnType<typeof requestInfo>) {
  return {
    request,
    endpoint: 'primary',
    provider: 'sim',
    providerName: 'openai',
    model: 'model-primary',
    serverAddress: '127.0.0.1',
    startedAt: request.startedAt,
    headers: {},
  };
}
