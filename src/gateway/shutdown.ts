import type { Logger } from 'pino';
import type { Router } from '../router/types.js';
import type { CloseResult, Gateway } from './app.js';

export interface ShutdownOptions {
  gateway: Gateway;
  router: Router;
  logger: Logger;
  graceMs: number;
  /** Run after the router is closed (telemetry flush, simulators of the demo). */
  onClosed?: () => Promise<void> | void;
  /** Default process.exit; tests pass their own. */
  exit?: (code: number) => void;
  signals?: readonly NodeJS.Signals[];
}

/**
 * Stops in order: readiness off and listener closed, in-flight requests and streams finish (up to the
 * grace period), then the router's breakers and in-flight attempts, then exit 0. A second signal while
 * draining skips the wait: an operator pressing Ctrl-C twice means it.
 */
export function installShutdown(opts: ShutdownOptions): { shutdown: (reason: string) => Promise<void>; uninstall: () => void } {
  const exit = opts.exit ?? ((code: number) => process.exit(code));
  // SIGHUP too: a terminal closing, or a supervisor asking for a restart, gets the same graceful stop (no reload).
  const signals = opts.signals ?? ['SIGTERM', 'SIGINT', 'SIGHUP'];
  let stopping: Promise<void> | undefined;

  const shutdown = (reason: string): Promise<void> => {
    if (stopping) return stopping;
    opts.logger.info({ event: 'shutdown', reason, inFlight: opts.gateway.inFlight(), graceMs: opts.graceMs }, 'shutting down');
    stopping = (async () => {
      let result: CloseResult = { drained: true, abandoned: 0 };
      let code = 0;
      try {
        result = await opts.gateway.close({ graceMs: opts.graceMs });
        await opts.router.close();
        await opts.onClosed?.();
      } catch (e) {
        code = 1;
        opts.logger.error({ err: { name: e instanceof Error ? e.name : typeof e } }, 'error during shutdown');
      }
      opts.logger.info({ event: 'shutdown', drained: result.drained, abandoned: result.abandoned }, 'stopped');
      // pino writes asynchronously to stdout; flush so the last lines are not lost on exit.
      opts.logger.flush(() => exit(code));
    })();
    return stopping;
  };

  const onSignal = (signal: NodeJS.Signals) => {
    if (stopping) {
      opts.logger.warn({ event: 'shutdown', signal }, 'second signal: closing connections now');
      void opts.gateway.close({ graceMs: 0 });
      return;
    }
    void shutdown(signal);
  };
  for (const s of signals) process.on(s, onSignal);
  return {
    shutdown,
    uninstall: () => {
      for (const s of signals) process.off(s, onSignal);
    },
  };
}
