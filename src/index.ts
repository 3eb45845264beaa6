/// <reference types="node" preserve="true" />
/*
 * The public surface of the `switchyard` package: everything a user may import is listed here.
 */
export { createRouter } from './router/router.js';
export type {
  Router,
  RouterOptions,
  RouterCompletions,
  RequestOptions,
  ResponseValidator,
  Routed,
  CircuitSnapshot,
  RouteSnapshot,
  CallOptions,
  RouterEmbeddings,
  RouterResponses,
  RouterModels,
  RouterModel,
  RouterModelPage,
} from './router/types.js';
export type { RoutedPromise, WithResponse } from './router/routed-promise.js';
export type { SwitchyardFacts } from './errors/sdk-errors.js';
export type { Operation } from './endpoint/operation.js';
export { OPERATIONS } from './endpoint/operation.js';
export type {
  RouterEvents,
  RequestInfo,
  AttemptInfo,
  AttemptResult,
  RequestResult,
  CircuitStateName,
  SkipReason,
} from './router/events.js';
export { CIRCUIT_STATES, SKIP_REASONS } from './router/events.js';
export type { ChargeReason, ChargeVerdict } from './router/attribution.js';
export { CHARGE_REASONS } from './router/attribution.js';
export { CancelSource } from './endpoint/cancellation.js';
export type { Cancellation } from './endpoint/cancellation.js';
export type { AttemptOutcome, FailureOutcome, UncountedOutcome, RequestOutcome } from './endpoint/outcome.js';
export { ATTEMPT_OUTCOMES, REQUEST_OUTCOMES, isFailureOutcome } from './endpoint/outcome.js';
export type {
  SwitchyardConfig,
  SwitchyardConfigInput,
  BreakerConfig,
  RetryConfig,
  ProviderConfig,
  EndpointConfig,
  RouteConfig,
  ServerConfig,
  StateConfig,
  ProviderType,
} from './config/schema.js';
export { PROVIDER_TYPES } from './config/schema.js';
export { UnsupportedParameterError, isUnsupportedParameterError } from './providers/errors.js';
export type { StateStoreStatus } from './state/store.js';
export { SwitchyardError, isSwitchyardError } from './errors/base.js';
export { ConfigError, isConfigError } from './errors/config-error.js';
export type { ConfigProblem } from './errors/config-error.js';
export {
  UnknownRouteError,
  isUnknownRouteError,
  RouteUnavailableError,
  isRouteUnavailableError,
  AllAttemptsFailedError,
  isAllAttemptsFailedError,
  DeadlineExceededError,
  isDeadlineExceededError,
  RequestCancelledError,
  isRequestCancelledError,
  RouterClosedError,
  isRouterClosedError,
  UpstreamClientError,
  isUpstreamClientError,
  StreamInterruptedError,
  isStreamInterruptedError,
  UnsupportedOperationError,
  isUnsupportedOperationError,
  InvalidRequestError,
  isInvalidRequestError,
  LocalAttemptError,
  isLocalAttemptError,
} from './errors/router-errors.js';
export type { AttemptRecord } from './errors/router-errors.js';

// Telemetry: one call gives a router Prometheus metrics and OpenTelemetry spans.
export { instrument, startTracingSdk, withIncomingContext, extractContext, LLM_DURATION_BUCKETS, METRIC_NAMES, STATE_METRIC_NAMES } from './telemetry/index.js';
export type { Instrumentation, InstrumentOptions, MetricsRegistry, RouterTracing, TracingSdk } from './telemetry/index.js';
