import type { RequestHandler } from 'express';
import type { ServerResponse } from 'node:http';
import { pino, type DestinationStream, type Logger, type LoggerOptions } from 'pino';
import type { RequestOutcome } from '../endpoint/outcome.js';
import type { Router } from '../router/types.js';
import type { CallInfo } from './context.js';
import type { StreamEnd } from './sse.js';
import { BatchedDestination } from './log-destination.js';

/*
 * Logs carry metadata only: never a prompt, a completion, a header value or a key. Nothing here logs a
 * request object, so the redact list is a second line of defence for fields someone adds later.
 */

export const REDACT_PATHS = [
  'req.headers.authorization',
  'req.headers["x-api-key"]',
  'headers.authorization',
  'authorization',
  'apiKey',
  'apiKeys',
  'adminKey',
  '*.apiKey',
  '*.apiKeys',
  '*.adminKey',
  'messages',
  '*.messages',
];

export interface CreateLoggerOptions {
  level?: LoggerOptions['level'];
  /** Where lines go (default stdout); tests pass a stream to read them back. */
  destination?: DestinationStream;
}

export function createLogger(opts: CreateLoggerOptions = {}): Logger {
  const options: LoggerOptions = {
    name: 'switchyard',
    level: opts.level ?? process.env.LOG_LEVEL ?? 'info',
    redact: { paths: REDACT_PATHS, censor: '[redacted]' },
    base: { pid: process.pid },
  };
  // Default: stdout in batches (log-destination.ts). A write per line cost more CPU per request at low
  // concurrency than the router itself (bench/RESULTS.md). Whoever stops the process flushes first
  // (`logger.flush(cb)`, as the shutdown does); what is still held at exit is written synchronously.
  return pino(options, opts.destination ?? new BatchedDestination());
}

/**
 * The logger for request lines: `logger` without its redaction. A request line is built field by field
 * below from the router's account and the status (no header, body or config value goes in), and redaction
 * walks every line against every path, a cost paid on each request for nothing.
 */
export function requestLineLogger(logger: Logger): Logger {
  return logger.child({}, { redact: { paths: [], censor: '[redacted]' } });
}

/** What a handler leaves for the request line (express routes: in `res.locals`). */
export interface RequestLogState {
  call?: CallInfo;
  /** Settles once the handler is done with the router (streams: once the stream ended). */
  settled?: Promise<unknown>;
  streamEnd?: StreamEnd;
  errorCode?: string;
}

function outcomeOf(status: number, closedEarly: boolean, call: CallInfo | undefined): RequestOutcome {
  if (call?.outcome) return call.outcome;
  if (closedEarly) return 'cancelled';
  if (status < 400) return 'success';
  if (status === 503) return 'unavailable';
  if (status === 504) return 'timeout';
  if (status >= 500) return 'failed';
  return 'client_error';
}

/**
 * One line per request once it is over: on the chat path at info level (route, endpoint, attempts,
 * outcome, duration), elsewhere at debug (scrapers and probes would drown the rest), admin writes at info.
 * `path` is the request's path without its query. `logger`: a `requestLineLogger`. `chat`: the request is the
 * chat route's (matched as express matches, so `/V1/chat/completions/` too), whatever `path` spells.
 * Returns what to run when the response closes (the chat route folds it into its own 'close' listener).
 */
export function requestLine(logger: Logger, method: string, path: string, res: ServerResponse, state: RequestLogState, chat = false): () => void {
  const started = performance.now();
  return () => {
    const closedEarly = !res.writableFinished;
    const write = () => {
      const call = state.call;
      const line = {
        method,
        path,
        status: closedEarly ? undefined : res.statusCode,
        route: call?.route,
        endpoint: call?.endpoint,
        attempts: call?.attempts,
        outcome: outcomeOf(res.statusCode, closedEarly, call),
        stream: state.streamEnd,
        code: state.errorCode,
        durationMs: Math.round(performance.now() - started),
      };
      const important = chat || (path.startsWith('/admin/') && method !== 'GET');
      if (important) logger.info(line, 'request');
      else logger.debug(line, 'request');
    };
    if (state.settled) state.settled.then(write, write);
    else write();
  };
}

/** The request line for the routes express serves. */
export function requestLogger(logger: Logger): RequestHandler {
  return (req, res, next) => {
    // Read now: mounted routers rewrite req.url while they handle the request.
    res.on('close', requestLine(logger, req.method, req.path, res, res.locals as RequestLogState));
    next();
  };
}

/** A line per circuit transition. Returns the unsubscribe function. */
export function logCircuitTransitions(router: Router, logger: Logger): () => void {
  const onCircuit = (endpoint: string, from: string, to: string) => {
    const line = { event: 'circuit', endpoint, from, to };
    if (to === 'open') logger.warn(line, `circuit ${endpoint} opened`);
    else logger.info(line, `circuit ${endpoint} ${from} -> ${to}`);
  };
  router.events.on('circuit', onCircuit);
  return () => router.events.off('circuit', onCircuit);
}
