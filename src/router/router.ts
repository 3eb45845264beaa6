import { EventEmitter } from 'node:events';
import type { ChatCompletion, ChatCompletionChunk, ChatCompletionCreateParams } from 'openai/resources/chat/completions';
import type { Stream } from 'openai/streaming';
import { EndpointBreaker } from '../breaker/breaker.js';
import { Bulkhead } from '../breaker/bulkhead.js';
import { parseConfig } from '../config/load.js';
import type { SwitchyardConfig, SwitchyardConfigInput } from '../config/schema.js';
import { configuredSecrets, createScrubber } from '../config/secrets.js';
import { buildEndpoints } from '../endpoint/endpoint.js';
import { createStateStore, FleetBreaker, isShared } from '../state/index.js';
import { RouterClosedError, UnknownRouteError } from '../errors/router-errors.js';
import { completeRunner, type CompleteContext } from './complete-attempt.js';
import type { CircuitStateName, RouterEvents } from './events.js';
import { RequestRun, type RunDeps } from './request-run.js';
import { RequestScope } from './scope.js';
import { streamRunner } from './stream-attempt.js';
import type { CircuitSnapshot, RequestOptions, RouteSnapshot, Routed, Router, RouterCompletions, RouterOptions } from './types.js';

/**
 * The drop-in for `new OpenAI()`: every endpoint of the config behind its own circuit breaker, and
 * `chat.completions.create` walking the named route's fallback chain. Throws ConfigError on a bad config.
 */
export function createRouter(config: SwitchyardConfigInput | SwitchyardConfig, options: RouterOptions = {}): Router {
  // The same validation (and `${VAR}` substitution) as a config file, so code and YAML fail alike.
  const cfg = parseConfig(config, options.env ? { env: options.env } : {});
  const now = options.now ?? Date.now;
  const random = options.random ?? Math.random;
  const events = new EventEmitter<RouterEvents>();
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
  const active = new Set<RequestRun>();
  const deps: RunDeps = { endpoints, breakers, bulkheads, events, now, random, active };
  const scrub = createScrubber(configuredSecrets(cfg));
  let closed = false;

  function dispatch(body: ChatCompletionCreateParams, opts: RequestOptions = {}): Promise<Routed<ChatCompletion | Stream<ChatCompletionChunk>>> {
    const route = typeof body?.model === 'string' ? body.model : '';
    if (closed) return Promise.reject(new RouterClosedError(route));
    const chain = chains.get(route);
    if (!chain) return Promise.reject(new UnknownRouteError(route));
    const deadlineMs = Math.min(cfg.routes[route]?.deadlineMs ?? cfg.request.deadlineMs, opts.timeout ?? Number.POSITIVE_INFINITY);
    const scope = new RequestScope(deadlineMs, opts.signal, now, opts.cancellation);
    const run = new RequestRun(deps, route, chain.endpoints, scope, body.stream === true);
    const ctx: CompleteContext = {
      params: body,
      headers: opts.headers,
      rules: cfg.validation,
      validator: options.validator,
      route,
      scrub,
      now,
    };
    const walked = body.stream === true ? run.walk(streamRunner(ctx, run)) : run.walk(completeRunner(ctx));
    return walked.then((response) => ({
      route,
      endpoint: run.endpoint!,
      attempts: run.attempts.length + (body.stream === true ? 1 : 0),
      response,
      ...(run.bytes ? { bytes: run.bytes } : {}),
    }));
  }

  const completions = {
    create: (body: ChatCompletionCreateParams, opts?: RequestOptions) => dispatch(body, opts).then((r) => r.response),
  } as RouterCompletions;

  return {
    chat: { completions },
    events,
    dispatch: dispatch as Router['dispatch'],
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
      for (const run of active) run.scope.abort('closed');
      for (const b of breakers.values()) b.shutdown();
      for (const e of endpoints.values()) e.close();
      await store.close();
    },
  };

  function breakerOf(id: string): EndpointBreaker {
    const b = breakers.get(id);
    if (!b) throw new UnknownRouteError(id);
    return b;
  }
}
