import type { AttemptInfo, AttemptResult } from '../router/events.js';
import { pino, type DestinationStream, type Logger, type LoggerOptions } from 'pino';
import type { Router } from '../router/types.js';
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

const NAME = 'switchyard';

/** What pino writes for loggers of `createLogger`: enough to write a line of the same shape without it. */
export interface PlainFormat {
  readonly destination: DestinationStream;
  /** The fields pino puts between `time` and the line's own, as pino renders them (`,"pid":1,"name":"switchyard"`). */
  readonly head: string;
}

const plainFormats = new WeakMap<Logger, PlainFormat>();

/** The format of a logger made by `createLogger`; undefined for any other logger (its options are unknown). */
export function plainFormatOf(logger: Logger): PlainFormat | undefined {
  return plainFormats.get(logger);
}

export function createLogger(opts: CreateLoggerOptions = {}): Logger {
  const options: LoggerOptions = {
    name: NAME,
    level: opts.level ?? process.env.LOG_LEVEL ?? 'info',
    redact: { paths: REDACT_PATHS, censor: '[redacted]' },
    base: { pid: process.pid },
  };
  // What pino writes between `time` and a line's own fields for these options (request-line.ts relies on it).
  const head = `,"pid":${process.pid},"name":${JSON.stringify(NAME)}`;
  // Default: stdout in batches (log-destination.ts). A write per line cost more CPU per request at low
  // concurrency than the router itself (bench/RESULTS.md). Whoever stops the process flushes first
  // (`logger.flush(cb)`, as the shutdown does); what is still held at exit is written synchronously.
  const destination = opts.destination ?? new BatchedDestination();
  const logger = pino(options, destination);
  plainFormats.set(logger, { destination, head });
  return logger;
}

/** A line per circuit transition. Returns the unsubscribe function. */
/** Attempt errors that say the endpoint's config is wrong for this request, not that the provider is down. */
const MISCONFIGURED = new Set(['model_not_found', 'param_rejected']);

/**
 * Logs what an operator acts on from the router's events: circuit transitions; attempts that show an
 * endpoint misconfigured (a retired model, a parameter only it rejects: fallen back from, and charged only
 * on evidence); and `local_error` attempts, which are bugs on this side (a throwing validator, a failure
 * the classifier does not know).
 */
export function logRouterEvents(router: Router, logger: Logger): () => void {
  const onCircuit = (endpoint: string, from: string, to: string) => {
    const line = { event: 'circuit', endpoint, from, to };
    if (to === 'open') logger.warn(line, `circuit ${endpoint} opened`);
    else logger.info(line, `circuit ${endpoint} ${from} -> ${to}`);
  };
  // Once per change of the shared state store's health, not once per failed command.
  const onStore = (up: boolean, reason: string | undefined) => {
    const line = { event: 'state_store', up, ...(reason ? { reason } : {}) };
    if (up) logger.info(line, 'shared state store reachable: circuits follow the fleet');
    else logger.warn(line, 'shared state store unreachable: circuits fall back to this replica');
  };
  const onAttempt = (attempt: AttemptInfo, result: AttemptResult) => {
    const line = { event: 'attempt', endpoint: attempt.endpoint, route: attempt.request.route, outcome: result.outcome, errorType: result.errorType, status: result.status };
    if (result.errorType === 'redirect') logger.warn(line, `endpoint ${attempt.endpoint}: ${result.message ?? 'redirected'}`);
    else if (result.errorType && MISCONFIGURED.has(result.errorType)) logger.warn(line, `endpoint ${attempt.endpoint} is misconfigured for this request (${result.errorType}): fell back`);
    else if (result.outcome === 'local_error') logger.error(line, `attempt on ${attempt.endpoint} failed on this side: ${result.message ?? 'local error'}`);
  };
  router.events.on('circuit', onCircuit);
  router.events.on('attempt:end', onAttempt);
  router.events.on('state:store', onStore);
  return () => {
    router.events.off('circuit', onCircuit);
    router.events.off('attempt:end', onAttempt);
    router.events.off('state:store', onStore);
  };
}
