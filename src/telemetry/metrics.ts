import { TraceFlags, isSpanContextValid, type SpanContext } from '@opentelemetry/api';
import type { Counter, Histogram, LabelValues, Metric, OpenMetricsContentType, Registry } from 'prom-client';
import { registerView, type OpenMetricsView } from './openmetrics-view.js';
import { ATTEMPT_OUTCOMES, REQUEST_OUTCOMES } from '../endpoint/outcome.js';
import { CHARGE_REASONS } from '../router/attribution.js';
import { CIRCUIT_STATES, INELIGIBLE_SKIPS, SKIP_REASONS, type AttemptInfo, type RequestInfo } from '../router/events.js';
import type { Router } from '../router/types.js';
import { ConfigLabels } from './config-labels.js';
import { PendingCounts } from './pending-counts.js';
import { subscribe, warnOnce, type ErrorHandler } from './listeners.js';
import { METRIC_NAMES, STATE_METRIC_NAMES, createMetricSet, createStateMetrics, isOpenMetrics, type CircuitGauge, type MetricSet, type MetricsRegistry } from './metric-defs.js';

/** Where exemplars get their trace: the tracing part knows the span of each request and attempt. */
export interface ExemplarSource {
  requestSpanContext(request: RequestInfo): SpanContext | undefined;
  attemptSpanContext(attempt: AttemptInfo): SpanContext | undefined;
}

export interface MetricsOptions {
  exemplars?: ExemplarSource;
  onError?: ErrorHandler;
  /**
   * An OpenMetrics registry that serves the same metrics with exemplars: views over the text metrics, so
   * each event is recorded once (see openmetrics-view.ts). Ignored when `registry` is itself OpenMetrics.
   */
  openMetrics?: Registry<OpenMetricsContentType>;
}

export interface RouterMetrics {
  readonly registry: MetricsRegistry;
  /** Unsubscribes from the router and removes the metrics from the registry (so it can be instrumented again). */
  stop(): void;
}

export type InstrumentableRouter = Pick<Router, 'events' | 'circuits' | 'routes' | 'stateStatus'>;

type Exemplar = Record<string, string>;

/** Only sampled spans make exemplars: an unsampled trace id points at nothing in the trace backend. */
function exemplarOf(ctx: SpanContext | undefined): Exemplar | undefined {
  if (!ctx || !isSpanContextValid(ctx) || (ctx.traceFlags & TraceFlags.SAMPLED) === 0) return undefined;
  return { trace_id: ctx.traceId, span_id: ctx.spanId };
}

/** Feeds every SPEC metric, in `registry`, from the router's events. */
export function registerMetrics(
  router: InstrumentableRouter,
  registry: MetricsRegistry,
  options: MetricsOptions = {},
): RouterMetrics {
  const onError = options.onError ?? warnOnce();
  const labels = new ConfigLabels(router);
  const pending = new Map<Counter<string>, PendingCounts<string>>();
  const m = createMetricSet(
    registry,
    (gauge) => refreshCircuitGauge(gauge, router, onError),
    (counter) => pending.get(counter)?.flush(),
  );
  // Only with a shared state store: SPEC says `switchyard_state_store_up` is absent with `store: memory`.
  const state = router.stateStatus?.() !== undefined ? createStateMetrics(registry, () => router.stateStatus?.()) : undefined;
  const om = options.openMetrics && options.openMetrics !== registry && !isOpenMetrics(registry) ? options.openMetrics : undefined;
  const views = om ? viewsOf({ ...m, ...state }, om) : undefined;
  const exemplars = m.exemplars || views ? options.exemplars : undefined;
  const requestExemplar = (r: RequestInfo) => exemplarOf(exemplars?.requestSpanContext(r));
  const attemptExemplar = (a: AttemptInfo) => exemplarOf(exemplars?.attemptSpanContext(a));

  /*
   * prom-client's exemplar-enabled metrics take one object argument; the plain ones take (labels, value)
   * (an object passed to the exemplar form's positional signature would silently hit the unlabelled series).
   * Its typings wrongly restrict exemplar label names to the metric's own label names, hence the casts.
   */
  const inc = <L extends string>(c: Counter<L>, l: LabelValues<L>, value: number, ex?: Exemplar) => {
    if (!m.exemplars) c.inc(l, value);
    else if (ex) c.inc({ labels: l, value, exemplarLabels: ex as LabelValues<L> });
    else c.inc({ labels: l, value });
    if (ex) views?.get(c)?.exemplar(l, value, ex);
  };
  const observe = <L extends string>(h: Histogram<L>, l: LabelValues<L>, value: number, ex?: Exemplar) => {
    if (!m.exemplars) h.observe(l, value);
    else if (ex) h.observe({ labels: l, value, exemplarLabels: ex as LabelValues<L> });
    else h.observe({ labels: l, value });
    if (ex) views?.get(h)?.exemplar(l, value, ex);
  };

  /*
   * A per-request counter, incremented with its label values in `labelNames` order. Increments without an
   * exemplar are summed between reads (pending-counts.ts); an OpenMetrics registry's counters record
   * exemplars, and an increment that carries one is recorded as it comes.
   */
  const perRequest = <L extends string>(c: Counter<L>, labelNames: readonly L[]) => {
    const held = m.exemplars ? undefined : new PendingCounts(c, labelNames);
    if (held) pending.set(c as unknown as Counter<string>, held as unknown as PendingCounts<string>);
    // Label values as arguments, not an array: this runs a few times per request.
    return (n: number, ex: Exemplar | undefined, a: string, b: string, third?: string) => {
      if (held && !ex) return held.add(n, a, b, third);
      const values = [a, b, third];
      const l = {} as Record<L, string>;
      labelNames.forEach((name, i) => (l[name] = values[i]!));
      inc(c, l as LabelValues<L>, n, ex);
    };
  };
  const countAttempt = perRequest(m.attempts, ['route', 'endpoint', 'outcome']);
  const countTokens = perRequest(m.tokens, ['endpoint', 'type']);
  const countRequest = perRequest(m.requests, ['route', 'outcome']);

  precreate(m, labels, inc);

  const unsubscribe = subscribe(
    router.events,
    {
      'attempt:end'(attempt, result) {
        const { endpoint } = attempt;
        const route = attempt.request.route;
        if (!labels.hasRoute(route) || !labels.hasEndpoint(endpoint)) return;
        if (!ATTEMPT_OUTCOMES.includes(result.outcome)) return;
        const ex = attemptExemplar(attempt);
        countAttempt(1, ex, route, endpoint, result.outcome);
        observe(m.attemptDuration, { endpoint, outcome: result.outcome }, result.durationMs / 1000, ex);
        if (result.timeToFirstTokenMs !== undefined) {
          observe(m.timeToFirstToken, { endpoint }, result.timeToFirstTokenMs / 1000, ex);
        }
        if (result.inputTokens) countTokens(result.inputTokens, ex, endpoint, 'input');
        if (result.outputTokens) countTokens(result.outputTokens, ex, endpoint, 'output');
      },
      skip(request, endpoint, reason) {
        if (!labels.hasRoute(request.route) || !labels.hasEndpoint(endpoint) || !SKIP_REASONS.includes(reason)) return;
        inc(m.skips, { route: request.route, endpoint, reason }, 1, requestExemplar(request));
        // Passed over for what the request asks, not for the endpoint's health: no short-circuit.
        if (INELIGIBLE_SKIPS.includes(reason)) return;
        inc(m.shortCircuits, { route: request.route, endpoint }, 1, requestExemplar(request));
      },
      fallback(request, from, to) {
        if (!labels.hasRoute(request.route) || !labels.hasEndpoint(from) || !labels.hasEndpoint(to)) return;
        inc(m.fallbacks, { route: request.route, from, to }, 1, requestExemplar(request));
      },
      'request:end'(request, result) {
        const { route } = request;
        if (!labels.hasRoute(route) || !REQUEST_OUTCOMES.includes(result.outcome)) return;
        const ex = requestExemplar(request);
        countRequest(1, ex, route, result.outcome);
        observe(m.requestDuration, { route, outcome: result.outcome }, result.durationMs / 1000, ex);
      },
      charge(endpoint, verdict, reason) {
        if (!labels.hasEndpoint(endpoint) || CHARGE_REASONS[reason] !== verdict) return;
        inc(m.charges, { endpoint, verdict, reason }, 1);
      },
      circuit(endpoint, _from, to) {
        if (!labels.hasEndpoint(endpoint) || !CIRCUIT_STATES.includes(to)) return;
        inc(m.transitions, { endpoint, to }, 1);
      },
    },
    onError,
  );

  return {
    registry,
    stop() {
      unsubscribe();
      // By the registry's key, not the metric's `name`: OpenMetrics rendering renames counters in place.
      const ours = new Set<unknown>([...Object.values(m), ...Object.values(state ?? {})]);
      const ourViews = new Set<unknown>(views?.values());
      for (const name of [...Object.values(METRIC_NAMES), ...Object.values(STATE_METRIC_NAMES)]) {
        if (ours.has(registry.getSingleMetric(name))) registry.removeSingleMetric(name);
        if (om && ourViews.has(om.getSingleMetric(name))) om.removeSingleMetric(name);
      }
    },
  };
}

/** An OpenMetrics view of each metric of the set, by the metric it shows. */
function viewsOf(m: MetricSet | Record<string, unknown>, om: Registry<OpenMetricsContentType>): Map<unknown, OpenMetricsView> {
  const views = new Map<unknown, OpenMetricsView>();
  for (const metric of Object.values(m)) {
    if (typeof metric !== 'object') continue;
    // prom-client keeps both on the metric (a histogram's buckets as `upperBounds`), untyped.
    const { labelNames, upperBounds } = metric as unknown as { labelNames: readonly string[]; upperBounds?: readonly number[] };
    views.set(metric, registerView(om, metric as unknown as Metric<string>, labelNames, upperBounds));
  }
  return views;
}

/*
 * Zeroed series for the label combinations the config fixes, so `rate()` and `increase()` see the first
 * event (a series that appears with value 1 has no earlier sample to diff against) and dashboards show 0
 * rather than "no data". Histograms are left to appear on first use: a zeroed histogram is 17 series of
 * nothing, and quantiles of nothing are NaN anyway.
 */
function precreate(
  m: MetricSet,
  labels: ConfigLabels,
  inc: <L extends string>(c: Counter<L>, l: LabelValues<L>, value: number) => void,
): void {
  for (const [route, endpoints] of labels.routes) {
    for (const outcome of REQUEST_OUTCOMES) inc(m.requests, { route, outcome }, 0);
    for (const endpoint of endpoints) {
      inc(m.shortCircuits, { route, endpoint }, 0);
      for (const reason of SKIP_REASONS) inc(m.skips, { route, endpoint, reason }, 0);
      for (const outcome of ATTEMPT_OUTCOMES) inc(m.attempts, { route, endpoint, outcome }, 0);
    }
    for (let i = 1; i < endpoints.length; i++) {
      inc(m.fallbacks, { route, from: endpoints[i - 1]!, to: endpoints[i]! }, 0);
    }
  }
  for (const endpoint of labels.endpoints) {
    for (const to of CIRCUIT_STATES) inc(m.transitions, { endpoint, to }, 0);
    inc(m.tokens, { endpoint, type: 'input' }, 0);
    inc(m.tokens, { endpoint, type: 'output' }, 0);
    for (const [reason, verdict] of Object.entries(CHARGE_REASONS)) inc(m.charges, { endpoint, verdict, reason }, 0);
  }
}

function refreshCircuitGauge(gauge: CircuitGauge, router: InstrumentableRouter, onError: ErrorHandler): void {
  let circuits;
  try {
    circuits = router.circuits();
  } catch (error) {
    // A failed read keeps the last values rather than failing the whole scrape.
    onError(error);
    return;
  }
  gauge.reset();
  for (const c of circuits) {
    for (const state of CIRCUIT_STATES) gauge.set({ endpoint: c.endpoint, state }, c.state === state ? 1 : 0);
  }
}
