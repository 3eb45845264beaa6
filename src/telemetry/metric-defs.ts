import {
  Counter,
  Gauge,
  Histogram,
  Registry,
  type OpenMetricsContentType,
  type PrometheusContentType,
} from 'prom-client';
import { LLM_DURATION_BUCKETS } from './buckets.js';

/** A prom-client registry of either exposition format. */
export type MetricsRegistry = Registry<PrometheusContentType> | Registry<OpenMetricsContentType>;

/** The SPEC's metric names: dashboards and alert rules depend on them exactly. */
export const METRIC_NAMES = {
  requests: 'switchyard_requests_total',
  requestDuration: 'switchyard_request_duration_seconds',
  attempts: 'switchyard_attempts_total',
  attemptDuration: 'switchyard_attempt_duration_seconds',
  shortCircuits: 'switchyard_short_circuits_total',
  fallbacks: 'switchyard_fallbacks_total',
  circuitState: 'switchyard_circuit_state',
  transitions: 'switchyard_circuit_transitions_total',
  timeToFirstToken: 'switchyard_time_to_first_token_seconds',
  tokens: 'switchyard_tokens_total',
  /** Not in SPEC.md's table (it adds to it): what was charged to each circuit, and what was spared and why. */
  charges: 'switchyard_charges_total',
  skips: 'switchyard_skips_total',
} as const;

/** Shared state store health: registered only when the router has a shared store (absent with `memory`). */
export const STATE_METRIC_NAMES = {
  storeUp: 'switchyard_state_store_up',
  storeLag: 'switchyard_state_store_lag_seconds',
} as const;

/** What the state gauges read at scrape time. */
export type StateStatusSource = () => { readonly up: boolean; readonly lagSeconds: number } | undefined;

export function createStateMetrics(registry: MetricsRegistry, read: StateStatusSource) {
  const registers = [registry];
  return {
    storeUp: new Gauge({
      name: STATE_METRIC_NAMES.storeUp,
      help: 'Shared circuit state store (Redis): 1 while it answers, 0 while replicas fall back to their own breakers.',
      registers,
      collect(this: Gauge) {
        const s = read();
        if (s) this.set(s.up ? 1 : 0);
      },
    }),
    storeLag: new Gauge({
      name: STATE_METRIC_NAMES.storeLag,
      help: "Age in seconds of this replica's view of the fleet's circuit state (since its last full read of the store).",
      registers,
      collect(this: Gauge) {
        const s = read();
        if (s) this.set(s.lagSeconds);
      },
    }),
  };
}

export function isOpenMetrics(registry: MetricsRegistry): boolean {
  return registry.contentType === Registry.OPENMETRICS_CONTENT_TYPE;
}

/** prom-client's typings lack the constructor argument: this is the typed way to get an OpenMetrics registry. */
export function createOpenMetricsRegistry(): Registry<OpenMetricsContentType> {
  const registry = new Registry<OpenMetricsContentType>();
  registry.setContentType(Registry.OPENMETRICS_CONTENT_TYPE);
  return registry;
}

export type CircuitGauge = Gauge<'endpoint' | 'state'>;

/*
 * Builds the metric objects in one registry. Exemplars are enabled only for an OpenMetrics registry: the
 * text format cannot carry them, and prom-client's exemplar-enabled `inc`/`observe` take a different
 * (object) argument form, which the caller picks according to `exemplars`.
 */
export function createMetricSet(
  registry: MetricsRegistry,
  refreshCircuits: (gauge: CircuitGauge) => void,
  /** Runs before each read of a counter (a scrape, `get()`): where increments held back are handed over. */
  beforeCounterRead: (counter: Counter<string>) => void = () => undefined,
) {
  const registers = [registry];
  const enableExemplars = isOpenMetrics(registry);
  const counter = <L extends string>(name: string, help: string, labelNames: readonly L[]) =>
    new Counter<L>({
      name,
      help,
      labelNames,
      registers,
      enableExemplars,
      collect(this: Counter<L>) {
        beforeCounterRead(this as unknown as Counter<string>);
      },
    });
  const histogram = <L extends string>(name: string, help: string, labelNames: readonly L[]) =>
    new Histogram<L>({ name, help, labelNames, registers, enableExemplars, buckets: [...LLM_DURATION_BUCKETS] });

  return {
    exemplars: enableExemplars,
    requests: counter(METRIC_NAMES.requests, 'Requests by route and how they ended.', ['route', 'outcome']),
    requestDuration: histogram(
      METRIC_NAMES.requestDuration,
      'Request duration in seconds, every attempt and fallback included.',
      ['route', 'outcome'],
    ),
    attempts: counter(METRIC_NAMES.attempts, 'Attempts (calls to one endpoint) by outcome.', [
      'route',
      'endpoint',
      'outcome',
    ]),
    attemptDuration: histogram(METRIC_NAMES.attemptDuration, 'Attempt duration in seconds.', ['endpoint', 'outcome']),
    shortCircuits: counter(
      METRIC_NAMES.shortCircuits,
      'Endpoints skipped without an attempt for their health: circuit open, half-open probe busy, Retry-After pending, saturated (maxConcurrent) or unresponsive.',
      ['route', 'endpoint'],
    ),
    fallbacks: counter(METRIC_NAMES.fallbacks, 'Moves from one endpoint to the next after a failure.', [
      'route',
      'from',
      'to',
    ]),
    circuitState: new Gauge<'endpoint' | 'state'>({
      name: METRIC_NAMES.circuitState,
      help: 'Circuit state per endpoint: 1 for the current state, 0 for the others.',
      labelNames: ['endpoint', 'state'],
      registers,
      // Read at scrape time rather than tracked from events, so it is right before any traffic and after
      // operator overrides alike.
      collect(this: CircuitGauge) {
        refreshCircuits(this);
      },
    }),
    transitions: counter(METRIC_NAMES.transitions, 'Circuit state changes by the state entered.', ['endpoint', 'to']),
    timeToFirstToken: histogram(
      METRIC_NAMES.timeToFirstToken,
      'Streaming attempts: seconds from the attempt start to the first content chunk.',
      ['endpoint'],
    ),
    tokens: counter(METRIC_NAMES.tokens, 'Tokens reported by the endpoints.', ['endpoint', 'type']),
    charges: counter(
      METRIC_NAMES.charges,
      'Failed attempts charged to the endpoint\'s circuit (verdict charged) or spared (verdict spared), by reason.',
      ['endpoint', 'verdict', 'reason'],
    ),
    skips: counter(
      METRIC_NAMES.skips,
      'Endpoints passed over without an attempt, by reason: the short-circuits, and the endpoints that cannot take the request (unsupported: an operation or a parameter it lacks; other_provider).',
      ['route', 'endpoint', 'reason'],
    ),
  };
}

export type MetricSet = ReturnType<typeof createMetricSet>;
