import type { RequestHandler } from 'express';
import type { ServerResponse } from 'node:http';
import { pino, type Logger } from 'pino';
import type { RequestOutcome } from '../endpoint/outcome.js';
import type { CallInfo } from './context.js';
import { plainFormatOf, type PlainFormat } from './logging.js';
import type { StreamEnd } from './sse.js';

/*
 * One line per request once it is over. Its fields are fixed and built here from the router's account and
 * the status (no header, body or config value goes in). On the gateway's own logger the line is formatted
 * here, as pino would, and handed to pino's destination: pino's generic path (a loop over the keys, with
 * lookups for serializers and stringifiers and a string concatenation per piece) cost several times more per
 * request in the gateway than in isolation, where its call sites stay monomorphic. Any other logger (one
 * passed to createGateway) gets the line through its own `info`/`debug`, with whatever options it has.
 */

export interface RequestLineFields {
  method: string;
  path: string;
  status: number | undefined;
  route: string | undefined;
  endpoint: string | undefined;
  attempts: number | undefined;
  outcome: RequestOutcome;
  stream: StreamEnd | undefined;
  code: string | undefined;
  durationMs: number;
}

type Level = 'info' | 'debug';

/** Where request lines go: `logger` (without its redaction, which would walk every line for nothing). */
export interface RequestLines {
  write(level: Level, line: RequestLineFields): void;
}

const q = (s: string) => JSON.stringify(s);

/** The line as pino writes it for a `createLogger` logger: same fields, same order, undefined ones left out. */
export function formatRequestLine(level: Level, f: RequestLineFields, format: PlainFormat, now = Date.now()): string {
  let s = `{"level":${pino.levels.values[level]},"time":${now}${format.head},"method":${q(f.method)},"path":${q(f.path)}`;
  if (f.status !== undefined) s += `,"status":${f.status}`;
  if (f.route !== undefined) s += `,"route":${q(f.route)}`;
  if (f.endpoint !== undefined) s += `,"endpoint":${q(f.endpoint)}`;
  if (f.attempts !== undefined) s += `,"attempts":${f.attempts}`;
  s += `,"outcome":${q(f.outcome)}`;
  if (f.stream !== undefined) s += `,"stream":${q(f.stream)}`;
  if (f.code !== undefined) s += `,"code":${q(f.code)}`;
  return `${s},"durationMs":${f.durationMs},"msg":"request"}\n`;
}

export function requestLines(logger: Logger): RequestLines {
  const child = logger.child({}, { redact: { paths: [], censor: '[redacted]' } });
  const format = plainFormatOf(logger);
  return {
    write(level, line) {
      if (!child.isLevelEnabled(level)) return;
      if (format) format.destination.write(formatRequestLine(level, line, format));
      else child[level](line, 'request');
    },
  };
}

/** What a handler leaves for the request line (express routes: in `res.locals`). */
export interface RequestLogState {
  call?: CallInfo;
  /** Settles once the handler is done with the router (streams: once the stream ended). */
  settled?: Promise<unknown>;
  streamEnd?: StreamEnd;
  errorCode?: string;
  /** Log the line at info, as the chat path's (the other API paths, and unknown paths). */
  important?: boolean;
  /** Ended by the gateway's shutdown, past its grace period: a 503 or a stream's error event. */
  stopped?: boolean;
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
 * The request line: on the chat path at info level, elsewhere at debug (scrapers and probes would drown
 * the rest), admin writes at info. `path` is the request's path without its query. `chat`: the request is
 * the chat route's (matched as express matches, so `/V1/chat/completions/` too), whatever `path` spells.
 * Returns what to run when the response closes (the chat route folds it into its own 'close' listener).
 */
export function requestLine(lines: RequestLines, method: string, path: string, res: ServerResponse, state: RequestLogState, chat = false): () => void {
  const started = performance.now();
  return () => {
    const closedEarly = !res.writableFinished;
    const write = () => {
      const call = state.call;
      const important = chat || state.important === true || (path.startsWith('/admin/') && method !== 'GET');
      lines.write(important ? 'info' : 'debug', {
        method,
        path,
        status: closedEarly ? undefined : res.statusCode,
        route: call?.route,
        endpoint: call?.endpoint,
        attempts: call?.attempts,
        outcome: state.stopped ? 'unavailable' : outcomeOf(res.statusCode, closedEarly, call),
        stream: state.streamEnd,
        code: state.errorCode,
        durationMs: Math.round(performance.now() - started),
      });
    };
    if (state.settled) state.settled.then(write, write);
    else write();
  };
}

/** The request line for the routes express serves. */
export function requestLogger(lines: RequestLines): RequestHandler {
  return (req, res, next) => {
    // Read now: mounted routers rewrite req.url while they handle the request.
    res.on('close', requestLine(lines, req.method, req.path, res, res.locals as RequestLogState));
    next();
  };
}
