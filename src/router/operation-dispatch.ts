import type { CreateEmbeddingResponse, EmbeddingCreateParams } from 'openai/resources/embeddings';
import type { Response, ResponseCreateParams, ResponseStreamEvent } from 'openai/resources/responses/responses';
import type { Stream } from 'openai/streaming';
import type { SwitchyardConfig } from '../config/schema.js';
import type { Endpoint } from '../endpoint/endpoint.js';
import type { Operation } from '../endpoint/operation.js';
import { endpointOperations, operationClients } from '../endpoint/operation-client.js';
import { validateEmbeddings, validateResponse } from '../endpoint/operation-validate.js';
import { RouterClosedError, UnknownRouteError, UnsupportedOperationError } from '../errors/router-errors.js';
import type { SkipReason } from './events.js';
import { operationRunner, type OperationContext } from './operation-attempt.js';
import { RequestRun, type RunDeps } from './request-run.js';
import { ResponseAffinity, type SharedConversations } from './response-affinity.js';
import { responsesStreamRunner } from './responses-stream-attempt.js';
import { RequestScope } from './scope.js';
import type { RequestOptions, Routed } from './types.js';

/** What the router shares with the dispatch of the operations other than chat. */
export interface OperationDispatchDeps {
  readonly config: SwitchyardConfig;
  readonly chains: ReadonlyMap<string, { readonly endpoints: readonly string[] }>;
  readonly run: RunDeps;
  readonly scrub: (text: string) => string;
  readonly closed: () => boolean;
  readonly fetch?: typeof fetch | undefined;
  /** The router's own check of a request before anything is sent (a body that cannot be serialised, bad options). */
  readonly check: (route: string, body: object, opts: RequestOptions) => Error | undefined;
  /** The fleet's memory of conversations, with a shared state store. */
  readonly conversations?: SharedConversations | undefined;
}

export interface OperationDispatch {
  embeddings(body: EmbeddingCreateParams, opts?: RequestOptions): Promise<Routed<CreateEmbeddingResponse>>;
  responses(body: ResponseCreateParams, opts?: RequestOptions): Promise<Routed<Response | Stream<ResponseStreamEvent>>>;
  /** Why an endpoint cannot serve `op` (undefined: it can). */
  serves(endpoint: string, op: Operation): boolean;
}

/**
 * Embeddings and the Responses API through the same engine as chat: the route's chain, its breakers,
 * retries, fallbacks and events, with endpoints that do not serve the operation skipped (`unsupported`),
 * and a Responses follow-up kept on the provider holding its conversation (`other_provider`).
 */
export function operationDispatch(deps: OperationDispatchDeps): OperationDispatch {
  const { config, chains } = deps;
  const serving = endpointOperations(config);
  const client = operationClients(config, deps.fetch);
  const now = deps.run.now;
  const serves = (id: string, op: Operation) => serving.get(id)?.has(op) ?? false;
  // The fleet need only remember a conversation's holder where a route could send its follow-up elsewhere.
  const providersOf = (c: { readonly endpoints: readonly string[] }) => new Set(c.endpoints.filter((id) => serves(id, 'responses')).map((id) => deps.run.endpoints.get(id)!.spec.provider));
  const anyChoice = [...chains.values()].some((c) => providersOf(c).size > 1);
  const affinity = new ResponseAffinity(undefined, anyChoice ? deps.conversations : undefined);

  /** The request's run, or the reason there can be none; `eligible` says which endpoints may take it. */
  function start(route: string, body: object, op: Operation, stream: boolean, opts: RequestOptions, holder?: string) {
    if (deps.closed()) throw new RouterClosedError(route);
    const chain = chains.get(route);
    if (!chain) throw new UnknownRouteError(route);
    const invalid = deps.check(route, body, opts);
    if (invalid) throw invalid;
    const endpoints = deps.run.endpoints;
    const eligible = (id: string): SkipReason | undefined => {
      if (!serves(id, op)) return 'unsupported';
      if (holder !== undefined && endpoints.get(id)!.spec.provider !== holder) return 'other_provider';
      return undefined;
    };
    if (!chain.endpoints.some((id) => eligible(id) === undefined)) {
      const why = chain.endpoints.some((id) => serves(id, op))
        ? `route '${route}' has no endpoint of provider '${holder}', which holds the conversation named by previous_response_id`
        : undefined;
      throw new UnsupportedOperationError(route, op, why);
    }
    const deadlineMs = Math.min(config.routes[route]?.deadlineMs ?? config.request.deadlineMs, opts.timeout ?? Number.POSITIVE_INFINITY);
    const scope = new RequestScope(deadlineMs, opts.signal, now, opts.cancellation);
    const run = new RequestRun(deps.run, route, chain.endpoints, scope, stream, opts.caller, op);
    run.maxRetries = opts.maxRetries;
    const ctx: OperationContext = { headers: opts.headers, rules: config.validation, route, scrub: deps.scrub, now, client };
    // Only when some endpoint of the chain is ineligible: the walk then asks per endpoint.
    const filter = chain.endpoints.every((id) => eligible(id) === undefined) ? undefined : eligible;
    return { run, ctx, filter };
  }

  const routed = <T>(route: string, run: RequestRun, response: T, stream: boolean): Routed<T> => ({
    route,
    endpoint: run.endpoint!,
    attempts: run.attempts.length + (stream ? 1 : 0),
    response,
  });

  const remember = (id: string, endpoint: Endpoint) => affinity.remember(id, endpoint.spec.provider);

  return {
    serves,
    async embeddings(body, opts = {}) {
      const route = typeof body?.model === 'string' ? body.model : '';
      const { run, ctx, filter } = start(route, body, 'embeddings', false, opts);
      const runner = operationRunner(
        ctx,
        (c, ep, scope, headers) => c.embeddings({ ...body, model: ep.spec.model }, scope, headers),
        (value) => {
          const r = validateEmbeddings(value, body, config.validation);
          return { value: r, result: { ...(r.model ? { responseModel: r.model } : {}), ...(r.usage ? { inputTokens: r.usage.prompt_tokens } : {}) } };
        },
      );
      return routed(route, run, await run.walk(runner, filter), false);
    },
    async responses(body, opts = {}) {
      const route = typeof body?.model === 'string' ? body.model : '';
      const stream = body.stream === true;
      const { run, ctx, filter } = start(route, body, 'responses', stream, opts, await affinity.holderOf(body.previous_response_id));
      if (stream) return routed(route, run, await run.walk(responsesStreamRunner(ctx, body, run, remember), filter), true);
      const runner = operationRunner(
        ctx,
        (c, ep, scope, headers) => c.responses({ ...body, model: ep.spec.model, stream: false }, scope, headers),
        (value) => {
          const r = validateResponse(value, body, config.validation);
          const result = { ...(r.model ? { responseModel: r.model } : {}), ...(r.usage ? { inputTokens: r.usage.input_tokens, outputTokens: r.usage.output_tokens } : {}) };
          return { value: r, result };
        },
        (r, ep) => remember(r.id, ep),
      );
      return routed(route, run, await run.walk(runner, filter), false);
    },
  };
}
