import express, { type ErrorRequestHandler } from 'express';
import { createServer, type IncomingMessage, type RequestListener, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Logger } from 'pino';
import { Registry, type OpenMetricsContentType, type PrometheusContentType } from 'prom-client';
import { serverSchema, type ServerConfig, type SwitchyardConfig } from '../config/schema.js';
import type { Router } from '../router/types.js';
import { requireClientKey } from './auth.js';
import { corsHandler } from './browser.js';
import { answerClientError, answerExpectationFailed } from './client-error.js';
import { trackCalls } from './context.js';
import { serveExpectingContinue } from './expect-continue.js';
import { configuredSecrets, createScrubber } from '../config/secrets.js';
import { clientFault, errorResponder, HttpError } from './errors.js';
import { createLogger, logRouterEvents } from './logging.js';
import { requestLines, requestLogger } from './request-line.js';
import { adminRoutes } from './routes/admin.js';
import { CHAT_PATH, chatPath, chatRoute, type LiveRequest } from './routes/chat.js';
import { healthRoutes } from './routes/health.js';
import { metricsRoutes, type MetricsSource } from './routes/metrics.js';
import { renderMetrics } from '../telemetry/exposition.js';
import { isOpenMetrics, type MetricsRegistry } from '../telemetry/metric-defs.js';
import { methodNotAllowed } from './methods.js';
import { modelRoutes } from './routes/models.js';
import { embeddingsRoutes } from './routes/embeddings.js';
import { responsesRoutes } from './routes/responses.js';
import type { RequestLogState } from './request-line.js';
import { LiveList } from '../router/live-list.js';

export interface GatewayOptions {
  router: Router;
  /** The parsed configuration; only `server` and the provider keys (to scrub them from errors) are read. */
  config: Pick<SwitchyardConfig, 'server' | 'providers'>;
  /**
   * What GET /metrics serves: `instrument(router)`'s result (text or OpenMetrics by the scraper's Accept).
   * Without it, `registry` is served as is; with neither, an empty registry.
   */
  metrics?: MetricsSource;
  registry?: MetricsRegistry;
  logger?: Logger;
}

export interface ListeningAddress {
  url: string;
  host: string;
  port: number;
}

export interface CloseResult {
  /** Every in-flight request finished within the grace period. */
  drained: boolean;
  /**
   * Requests still running when the grace period ran out: each was ended as an answer (a 503 with
   * Retry-After, or an error event in a stream already begun) and its router call cancelled.
   */
  abandoned: number;
}

/**
 * After the grace period, how long the requests ended as answers get for those answers to go out and their
 * request lines to be written, before the remaining connections are cut.
 */
const STOP_FLUSH_MS = 2_000;

export interface Gateway {
  /**
   * The whole gateway as a node:http request listener (what `listen` serves), to mount in a server of your
   * own: POST /v1/chat/completions is served directly, everything else by an express app.
   */
  readonly handler: RequestListener;
  /** Starts listening; host and port default to the config's `server` section (port 0 = any free port). */
  listen(port?: number, host?: string): Promise<ListeningAddress>;
  /** Requests (streams included) being served right now. */
  inFlight(): number;
  draining(): boolean;
  /**
   * Graceful stop: readiness goes false, the listener closes, in-flight requests get up to `graceMs`
   * (default `server.shutdownGraceMs`) to finish; chat requests still running then are ended as answers (a
   * 503 with Retry-After, or an OpenAI-shaped error event and no [DONE] in a stream already begun), their
   * request lines written, and the remaining connections cut. A second call while closing with
   * `graceMs: 0` ends the grace period now. The router is the caller's to close afterwards.
   */
  close(opts?: { graceMs?: number }): Promise<CloseResult>;
}

function registrySource(registry: MetricsRegistry): MetricsSource {
  return {
    scrape: (accept) =>
      isOpenMetrics(registry)
        ? renderMetrics(accept, undefined, registry as Registry<OpenMetricsContentType>)
        : renderMetrics(accept, registry as Registry<PrometheusContentType>, undefined),
  };
}

function urlOf(host: string, port: number): string {
  const h = host.includes(':') ? `[${host}]` : host === '0.0.0.0' || host === '::' ? '127.0.0.1' : host;
  return `http://${h}:${port}`;
}

export function createGateway(opts: GatewayOptions): Gateway {
  const { router } = opts;
  const server: ServerConfig = opts.config.server ?? serverSchema.parse({});
  const metrics: MetricsSource = opts.metrics ?? registrySource(opts.registry ?? new Registry());
  const logger = opts.logger ?? createLogger();
  const scrub = createScrubber(configuredSecrets(opts.config));
  const tracker = trackCalls(router);
  const unsubscribeCircuits = logRouterEvents(router, logger);
  const lines = requestLines(logger);

  let inFlight = 0;
  let draining = false;
  const idleWaiters = new Set<() => void>();
  const live = new LiveList<LiveRequest>();
  let closing: Promise<CloseResult> | undefined;
  let endGrace: (() => void) | undefined;
  let httpServer: Server | undefined;
  const settle = () => {
    inFlight--;
    if (inFlight === 0) for (const w of idleWaiters) w();
  };
  const respondError = errorResponder(logger, scrub);

  /**
   * Resolves true once no request is in flight (and `also()` holds), false after `ms`; `onEnd` receives a
   * function that ends the wait early (as false).
   */
  function idle(ms: number, onEnd: (end: () => void) => void, also: () => boolean = () => true): Promise<boolean> {
    const quiet = () => inFlight === 0 && also();
    if (quiet()) return Promise.resolve(true);
    return new Promise<boolean>((resolve) => {
      const timer = setTimeout(() => done(false), ms);
      const poll = setInterval(() => quiet() && done(true), 10);
      const waiter = () => quiet() && done(true);
      function done(ok: boolean) {
        clearTimeout(timer);
        clearInterval(poll);
        idleWaiters.delete(waiter);
        resolve(ok);
      }
      idleWaiters.add(waiter);
      onEnd(() => done(false));
    });
  }

  // Everything but the chat route: probes, metrics, models, admin, and the OpenAI-shaped 404.
  const app = express();
  app.disable('x-powered-by');
  app.set('etag', false);
  app.use(requestLogger(lines));
  app.use(healthRoutes(router, () => draining));
  app.use(metricsRoutes(metrics));
  app.use('/v1', requireClientKey(server.apiKeys));
  app.use('/v1', modelRoutes(router));
  const apiOptions = { tracker, bodyLimitBytes: server.bodyLimitBytes, scrub, shouldRetryHeader: server.shouldRetryHeader };
  app.use('/v1', responsesRoutes(router, apiOptions));
  app.use('/v1', embeddingsRoutes(router, apiOptions));
  // POST is served before express (chat.ts): any other method that gets here is not allowed.
  app.all(CHAT_PATH, methodNotAllowed('POST'));
  app.use('/admin', adminRoutes(router, server.adminKey, logger));
  app.use((req, res, next) => {
    // A client calling a path the gateway does not serve is worth seeing at the default level.
    (res.locals as RequestLogState).important = true;
    next(new HttpError(404, 'invalid_request_error', 'not_found', `no such path: ${req.method} ${req.path}`));
  });
  const onError: ErrorRequestHandler = (err, _req, res, _next) => void respondError(res, clientFault(err) ?? err);
  app.use(onError);

  const chat = chatRoute({ router, tracker, apiKeys: server.apiKeys, bodyLimitBytes: server.bodyLimitBytes, scrub, lines, respondError, live, shouldRetryHeader: server.shouldRetryHeader });
  const cors = corsHandler(server.cors?.origins);
  const handler = (req: IncomingMessage, res: ServerResponse) => {
    inFlight++;
    // While draining, ask clients not to reuse the connection so it can close once this answer is out.
    if (draining) res.setHeader('connection', 'close');
    res.on('close', settle);
    if (cors?.(req, res)) return;
    const path = chatPath(req);
    if (path !== undefined) chat(req, res, path);
    else void app(req, res);
  };

  return {
    handler,
    inFlight: () => inFlight,
    draining: () => draining,
    listen(port = server.port, host = server.host) {
      return new Promise((resolve, reject) => {
        // What node would answer itself with a bare status line gets the OpenAI-shaped error instead.
        const s = createServer(handler)
          .on('clientError', answerClientError)
          .on('checkExpectation', answerExpectationFailed)
          .on('checkContinue', serveExpectingContinue(handler))
          .listen(port, host);
        httpServer = s;
        s.once('error', reject);
        s.once('listening', () => {
          s.off('error', reject);
          const addr = s.address() as AddressInfo;
          resolve({ url: urlOf(host, addr.port), host, port: addr.port });
        });
      });
    },
    close({ graceMs = server.shutdownGraceMs } = {}) {
      if (closing) {
        if (graceMs === 0) endGrace?.();
        return closing;
      }
      return (closing = (async () => {
        draining = true;
        const s = httpServer;
        const closed = s ? new Promise<void>((resolve) => s.close(() => resolve())) : Promise.resolve();
        s?.closeIdleConnections();
        const drained = await idle(graceMs, (end) => (endGrace = end));
        endGrace = undefined;
        const abandoned = inFlight;
        if (!drained) {
          // Past the grace: each chat request ends as an answer the client can act on, and is waited for
          // (briefly) until its answer is out and its request line written.
          for (const r of live.values()) r.stop();
          await idle(STOP_FLUSH_MS, () => undefined, () => live.size === 0);
        }
        // Whatever is left is idle keep-alive, or did not get its answer out in time: cut.
        s?.closeAllConnections();
        await closed;
        tracker.dispose();
        unsubscribeCircuits();
        return { drained, abandoned };
      })());
    },
  };
}
