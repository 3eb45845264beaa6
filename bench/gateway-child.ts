/*
 * Child process entry: the Switchyard gateway exactly as `switchyard serve --config FILE` starts it
 * (startServe: config file, router, telemetry, express app, JSON request log on stdout, which the bench
 * sends to /dev/null). argv[2]: the config file. Answers `probe` (memory, live sockets and timers), `gc`,
 * and `profileStart` / `profileStop` (the V8 CPU profiler that `node --cpu-prof` uses, driven through
 * node:inspector so that the profile covers the measured load only, not start-up and module loading).
 */
import { writeFileSync } from 'node:fs';
import { Session } from 'node:inspector/promises';
import { startServe } from '../src/cli/serve.js';
import { childMain, collectGarbage, probeSelf } from './procs.js';

let unhandled = 0;
process.on('unhandledRejection', () => void unhandled++);

const served = await startServe({ configPath: process.argv[2]!, port: 0, host: '127.0.0.1' });
let session: Session | undefined;

childMain(
  { url: served.url },
  {
    probe: () => ({ ...probeSelf(), inFlight: served.gateway.inFlight(), unhandled }),
    gc: () => collectGarbage(),
    circuits: () => served.router.circuits(),
    async profileStart({ intervalUs }: { intervalUs?: number } = {}) {
      session = new Session();
      session.connect();
      await session.post('Profiler.enable');
      await session.post('Profiler.setSamplingInterval', { interval: intervalUs ?? 200 });
      await session.post('Profiler.start');
    },
    async profileStop({ file }: { file: string }) {
      const { profile } = await session!.post('Profiler.stop');
      session!.disconnect();
      session = undefined;
      writeFileSync(file, JSON.stringify(profile));
      return file;
    },
    stop: () => served.close(1_000),
  },
);
