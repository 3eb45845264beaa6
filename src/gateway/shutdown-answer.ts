import { errorBody, type MappedError } from './errors.js';

/**
 * The answer to a request the gateway could not finish before it stopped: a 503 (or, in a stream already
 * begun, its body as the last event) that the SDKs raise as an error and that a client may retry elsewhere.
 */
export function shuttingDown(): MappedError {
  return {
    status: 503,
    body: errorBody('the gateway is shutting down: retry the request', 'server_error', 'shutting_down'),
    headers: { 'retry-after': String(SHUTDOWN_RETRY_AFTER_S), connection: 'close' },
  };
}

/** Another replica (or this one, restarted) can take it at once. */
const SHUTDOWN_RETRY_AFTER_S = 1;
