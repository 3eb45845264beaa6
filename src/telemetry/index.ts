import { Registry, type OpenMetricsContentType, type PrometheusContentType } from 'prom-client';
import type { SpanKind, Tracer } from '@opentelemetry/api';
import { renderMetrics, type RenderedMetrics } from './exposition.js';
import { warnOnce, type ErrorHandler } from './listeners.js';
import { createOpenMetricsRegistry, isOpenMetrics, type MetricsRegistry } from './metric-defs.js';
import { registerMetrics, type InstrumentableRouter, type RouterMetrics } from './metrics.js';
import { traceRouter, type RouterTracing } from './tracing.js';

export interface InstrumentOptions {
  /**
   * Where the metrics go. Default: a new Prometheus-text registry. An OpenMetrics registry
   * (`createOpenMetricsRegistry()`) gets exemplars.
   */
  registry?: MetricsRegistry;
  /**
   * A second registry, fed by the same events, serving OpenMetrics with exemplars to scrapers that ask for
   * it (see `scrape`). Default: a new one when `registry` is not given (the instrumentation owns
   * exposition), none when it is (the caller owns it). `false`: none.
   */
  openMetricsRegistry?: Registry<OpenMetricsContentType> | false;
  /** Default: the global tracer provider's `switchyard` tracer (no-op with no SDK registered). */
  tracer?: Tracer;
  /** Kind of the per-request span: INTERNAL by default. */
  requestSpanKind?: SpanKind;
  /** Errors inside telemetry never reach the router's caller; they come here. Default: one process warning. */
  onError?: (error: unknown) => void;
}

export interface Instrumentation {
  /** The registry given in the options, or the Prometheus-text registry created. */
  readonly registry: MetricsRegistry;
  readonly openMetricsRegistry: Registry<OpenMetricsContentType> | undefined;
  readonly tracing: RouterTracing;
  /** Renders the metrics for a `GET /metrics` with this `Accept` header (OpenMetrics when preferred). */
  scrape(accept?: string): Promise<RenderedMetrics>;
  /** Unsubscribes from the router and removes the metrics from the registries. */
  stop(): void;
}

/**
 * Prometheus metrics and OpenTelemetry traces for a router, in one call. Text and OpenMetrics are served
 * from two registries, because a prom-client metric object can only be rendered in one format (OpenMetrics
 * rendering strips `_total` from counter names for good); the OpenMetrics one holds views of the text
 * metrics plus their exemplars, so every event is recorded once.
 */
export function instrument(router: InstrumentableRouter, options: InstrumentOptions = {}): Instrumentation {
  const onError: ErrorHandler = options.onError ?? warnOnce();
  const registry = options.registry ?? new Registry();
  const openMetricsRegistry =
    options.openMetricsRegistry === false
      ? undefined
      : (options.openMetricsRegistry ?? (options.registry ? undefined : createOpenMetricsRegistry()));

  // Tracing subscribes first so each request's span exists before any metric asks it for an exemplar.
  const tracing = traceRouter(router, {
    onError,
    ...(options.tracer && { tracer: options.tracer }),
    ...(options.requestSpanKind !== undefined && { requestSpanKind: options.requestSpanKind }),
  });
  // A text registry records; an OpenMetrics one beside it serves views of the same metrics with exemplars
  // (registerMetrics decides). Only an OpenMetrics registry beside another one has to record on its own.
  const metrics: RouterMetrics[] = [
    registerMetrics(router, registry, { exemplars: tracing, onError, ...(openMetricsRegistry ? { openMetrics: openMetricsRegistry } : {}) }),
  ];
  if (openMetricsRegistry && openMetricsRegistry !== registry && isOpenMetrics(registry)) {
    metrics.push(registerMetrics(router, openMetricsRegistry, { exemplars: tracing, onError }));
  }

  const text = isOpenMetrics(registry) ? undefined : (registry as Registry<PrometheusContentType>);
  const om = openMetricsRegistry ?? (isOpenMetrics(registry) ? (registry as Registry<OpenMetricsContentType>) : undefined);

  return {
    registry,
    openMetricsRegistry: om,
    tracing,
    scrape: (accept) => renderMetrics(accept, text, om),
    stop() {
      tracing.stop();
      for (const m of metrics) m.stop();
    },
  };
}

export { LLM_DURATION_BUCKETS } from './buckets.js';
export { METRIC_NAMES, STATE_METRIC_NAMES, createOpenMetricsRegistry } from './metric-defs.js';
export { registerMetrics } from './metrics.js';
export { traceRouter, TRACER_NAME, REQUEST_SPAN_NAME, SKIP_EVENT_NAME, FALLBACK_EVENT_NAME } from './tracing.js';
export { prefersOpenMetrics, renderMetrics } from './exposition.js';
export { extractContext, withIncomingContext, traceContextMiddleware } from './propagation.js';
export { startTracingSdk } from './otel-sdk.js';
export type { MetricsRegistry } from './metric-defs.js';
export type { ExemplarSource, InstrumentableRouter, MetricsOptions, RouterMetrics } from './metrics.js';
export type { RouterTracing, TracingOptions } from './tracing.js';
export type { RenderedMetrics } from './exposition.js';
export type { IncomingHeaders } from './propagation.js';
export type { TracingSdk, TracingSdkOptions } from './otel-sdk.js';
