import type { ChatCompletion, ChatCompletionChunk, ChatCompletionCreateParams } from 'openai/resources/chat/completions';
import type { Stream } from 'openai/streaming';
import { EndpointBreaker } from '../breaker/breaker.js';
import { Bulkhead } from '../breaker/bulkhead.js';
import { parseConfig } from '../config/load.js';
import type { SwitchyardConfig, SwitchyardConfigInput } from '../config/schema.js';
import { configuredSecrets, createScrubber } from '../config/secrets.js';
import { buildEndpoints } from '../endpoint/endpoint.js';
import { SerializedBody } from '../endpoint/serialized-body.js';
import { InvalidRequestError, RouterClosedError, UnknownRouteError, UnsupportedOperationError } from '../errors/router-errors.js';
import { createStateStore, FleetBreaker, isShared } from '../state/index.js';
import { CallerWindow } from './attribution.js';
import { FencedEmitter } from './fenced-events.js';
import { LiveList } from './live-list.js';
import { Liveness } from './liveness.js';
import { completeRunner, type CompleteContext } from './complete-attempt.js';
import type { SkipReason } from './events.js';
import { createClient } from './client.js';
import { operationDispatch } from './operation-dispatch.js';
import type { CircuitStateName } from './events.js';
import { RequestRun, type RunDeps } from './request-run.js';
import { RequestScope, type AttemptScope } from './scope.js';
import { streamRunner } from './stream-attempt.js';
import type { CircuitSnapshot, RequestOptions, RouteSnapshot, Routed, Router, RouterOptions } from './types.js';

/**
 * The drop-in for `new OpenAI()`: every endpoint of the config behind its own circuit breaker, and
 * `chat.completions.create` walking the named route's fallback chain. Throws ConfigError on a bad config.
 */
export function createRouter(config: SwitchyardConfigInput | SwitchyardConfig, options: RouterOptions = {}): Router {
  // The same validation (and `${VAR}` substitution) as a config file, so code and YAML fail alike.
  const cfg = parseConfig(config, options.env ? { env: options.env } : {});
  const now = options.now ?? Date.now;
  const random = options.random ?? Math.random;
  const events = new FencedEmitter();
  // Telemetry, gateways and users all subscribe: more than ten listeners per event is normal here.
  events.setMaxListeners(0);
  const endpoints = buildEndpoints(cfg, { fetch: options.fetch, transport: options.transport });
  // `state.store: redis`: every breaker is overlaid with the fleet's shared state (src/state).
  const store = createStateStore(cfg.state, { endpoints: [...endpoints.keys()], now, random });
  store.onStatus((up, reason) => events.emit('state:store', up, reason));
  const breakers = new Map<string, EndpointBreaker>();
  for (const [id, ep] of endpoints) {
    const opts = {
      endpoint: id,
      config: ep.spec.breaker,
      probeHintMs: ep.spec.timeoutMs,
      now,
      random,
      onTransition: (from: CircuitStateName, to: CircuitStateName) => events.emit('circuit', id, from, to),
    };
    breakers.set(id, isShared(store) ? new FleetBreaker(opts, store) : new EndpointBreaker(opts));
  }
  const chains = new Map<string, { kind: 'route' | 'endpoint'; endpoints: readonly string[] }>();
  for (const id of endpoints.keys()) chains.set(id, { kind: 'endpoint', endpoints: [id] });
  // A route may share an endpoint's id (e.g. `gpt-4o` -> [gpt-4o, gpt-4o-mini]): the route wins.
  for (const [id, r] of Object.entries(cfg.routes)) chains.set(id, { kind: 'route', endpoints: r.endpoints });
  const bulkheads = new Map([...endpoints].map(([id, ep]) => [id, new Bulkhead(ep.spec.maxConcurrent)]));
  // As many attempts watched as it takes to trip the circuit by themselves (see Liveness).
  const liveness = new Map([...endpoints].map(([id, ep]) => [id, new Liveness(ep.spec.breaker.volumeThreshold, ep.spec.timeoutMs)]));
  const callers = new Map([...endpoints].map(([id, ep]) => [id, new CallerWindow(ep.spec.breaker.rollingWindowMs)]));
  const active = new LiveList<RequestRun>();
  const watched = new Set<AttemptScope>();
  const deps: RunDeps = { endpoints, breakers, bulkheads, liveness, callers, events, now, random, active, watched };
  const scrub = createScrubber(configuredSecrets(cfg));
  let closed = false;
  const operations = operationDispatch({
    config: cfg,
    chains,
    run: deps,
    scrub,
    closed: () => closed,
    fetch: options.fetch,
    conversations: isShared(store) ? store : undefined,
    check: (route, body, opts) => {
      const checked = checkRequest(route, body as ChatCompletionCreateParams, opts);
      return checked instanceof InvalidRequestError ? checked : undefined;
    },
  });
  // Chains with an endpoint that does not serve chat skip it (`unsupported`); the others pay nothing.
  const chatOnly = (id: string): SkipReason | undefined => (operations.serves(id, 'chat') ? undefined : 'unsupported');
  const chatFilter = new Map([...chains].filter(([, c]) => c.endpoints.some((id) => chatOnly(id))).map(([id]) => [id, chatOnly]));
  // Routes with an endpoint whose codec may refuse a request (native Anthropic, Gemini) ask it first; the
  // others pay nothing.
  const mayRefuse = new Set([...chains].filter(([, c]) => c.endpoints.some((id) => endpoints.get(id)!.mayRefuse)).map(([id]) => id));
  function eligibility(route: string, body: ChatCompletionCreateParams, run: RequestRun): ((id: string) => SkipReason | undefined) | undefined {
    const filter = chatFilter.get(route);
    if (!mayRefuse.has(route)) return filter;
    return (id) => {
      const skip = filter?.(id);
      if (skip) return skip;
      const refusal = endpoints.get(id)!.refusal(body, body.stream === true);
      return refusal ? run.refuse(id, refusal) : undefined;
    };
  }

  function dispatch(body: ChatCompletionCreateParams, opts: RequestOptions = {}): Promise<Routed<ChatCompletion | Stream<ChatCompletionChunk>>> {
    const route = typeof body?.model === 'string' ? body.model : '';
    if (closed) return Promise.reject(new RouterClosedError(route));
    const chain = chains.get(route);
    if (!chain) return Promise.reject(new UnknownRouteError(route));
    const checked = checkRequest(route, body, opts);
    if (checked instanceof InvalidRequestError) return Promise.reject(checked);
    const filter = chatFilter.get(route);
    if (filter && chain.endpoints.every((id) => filter(id))) return Promise.reject(new UnsupportedOperationError(route, 'chat'));
    const deadlineMs = Math.min(cfg.routes[route]?.deadlineMs ?? cfg.request.deadlineMs, opts.timeout ?? Number.POSITIVE_INFINITY);
    const scope = new RequestScope(deadlineMs, opts.signal, now, opts.cancellation);
    const run = new RequestRun(deps, route, chain.endpoints, scope, body.stream === true, opts.caller);
    run.maxRetries = opts.maxRetries;
    const ctx: CompleteContext = {
      params: body,
      serialized: checked,
      headers: opts.headers,
      rules: cfg.validation,
      validator: options.validator,
      route,
      scrub,
      now,
    };
    const eligible = eligibility(route, body, run);
    const walked = body.stream === true ? run.walk(streamRunner(ctx, run), eligible) : run.walk(completeRunner(ctx), eligible);
    return walked.then((response) => ({
      route,
      endpoint: run.endpoint!,
      attempts: run.attempts.length + (body.stream === true ? 1 : 0),
      response,
      ...(run.bytes ? { bytes: run.bytes } : {}),
    }));
  }

  const dispatchResponses = operations.responses as Router['dispatchResponses'];
  const router: Router = {
    // The openai SDK's surface (chat.completions, embeddings, responses, models) over the dispatches below.
    ...createClient({
      dispatch: dispatch as Router['dispatch'],
      dispatchEmbeddings: operations.embeddings,
      dispatchResponses,
      routes: () => router.routes(),
      circuits: () => router.circuits(),
    }),
    events,
    dispatch: dispatch as Router['dispatch'],
    dispatchEmbeddings: operations.embeddings,
    dispatchResponses,
    circuits(): CircuitSnapshot[] {
      return [...endpoints.values()].map((ep) => {
        const bulkhead = bulkheads.get(ep.spec.id)!;
        return {
          endpoint: ep.spec.id,
          provider: ep.spec.provider,
          model: ep.spec.model,
          ...breakers.get(ep.spec.id)!.snapshot(),
          inFlight: bulkhead.inFlight,
          ...(bulkhead.limit !== undefined ? { maxConcurrent: bulkhead.limit } : {}),
        };
      });
    },
    routes(): RouteSnapshot[] {
      return [...chains].map(([id, c]) => ({
        id,
        kind: c.kind,
        endpoints: c.endpoints,
        available: c.endpoints.some((e) => breakers.get(e)!.state !== 'open'),
      }));
    },
    forceOpen: (id) => breakerOf(id).forceOpen(),
    forceClose: (id) => breakerOf(id).forceClose(),
    reset: (id) => breakerOf(id).reset(),
    stateStatus: () => store.status(),
    async close() {
      closed = true;
      for (const run of active.values()) run.scope.abort('closed');
      for (const attempt of watched) attempt.close();
      for (const b of breakers.values()) b.shutdown();
      for (const e of endpoints.values()) e.close();
      await store.close();
    },
  };
  return router;

  function breakerOf(id: string): EndpointBreaker {
    const b = breakers.get(id);
    if (!b) throw new UnknownRouteError(id);
    return b;
  }
}

/** An HTTP header name (RFC 9110 token); a value may hold no line break or NUL. */
const HEADER_NAME = /^[!#$%&'*+.^_`|~0-9A-Za-z-]+$/;
const BAD_HEADER_VALUE = /[\r\n\0]/;

/**
 * What would fail inside every attempt, by the request's own fault, found before any: a body JSON cannot carry
 * (a BigInt, a cycle, nesting too deep for the serialiser), a header no HTTP message can carry, a timeout
 * that is no duration. Such a failure inside an attempt would look like the provider's.
 */
function checkRequest(route: string, body: ChatCompletionCreateParams, opts: RequestOptions): SerializedBody | InvalidRequestError {
  let serialized: SerializedBody;
  try {
    serialized = new SerializedBody(body);
  } catch (e) {
    const why = e instanceof RangeError ? 'it is nested too deeply' : e instanceof TypeError ? 'it holds a value JSON cannot carry (a BigInt or a cycle)' : 'it cannot be serialised';
    return new InvalidRequestError(route, `the request body cannot be sent: ${why}`);
  }
  if (opts.timeout !== undefined && !(typeof opts.timeout === 'number' && opts.timeout > 0 && opts.timeout <= 2_147_483_647)) {
    return new InvalidRequestError(route, 'the timeout option must be a positive number of milliseconds (at most 2147483647)', 'timeout');
  }
  if (opts.maxRetries !== undefined && !(Number.isInteger(opts.maxRetries) && opts.maxRetries >= 0)) {
    return new InvalidRequestError(route, 'the maxRetries option must be a non-negative integer', 'maxRetries');
  }
  if (opts.headers) {
    for (const [name, value] of Object.entries(opts.headers)) {
      if (!HEADER_NAME.test(name)) return new InvalidRequestError(route, 'a header name is not a valid HTTP token', 'headers');
      if (typeof value !== 'string' || BAD_HEADER_VALUE.test(value)) {
        return new InvalidRequestError(route, `header '${name}' must be a string without line breaks`, `headers.${name}`);
      }
    }
  }
  return serialized;
}
