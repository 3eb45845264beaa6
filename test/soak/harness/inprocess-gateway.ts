import { Writable } from 'node:stream';
import { parseConfig, type SwitchyardConfigInput } from '../../../src/config/index.js';
import type { Gateway } from '../../../src/gateway/app.js';
import type { Router, RouterOptions } from '../../../src/router/types.js';
import type { Instrumentation } from '../../../src/telemetry/index.js';
import { wireGateway } from '../../support/wire-gateway.js';

/**
 * The Switchyard gateway in this process, wired as `switchyard serve` wires it (router, instrument,
 * createGateway), with its request log counted and dropped instead of written to stdout.
 */
export interface InProcessGateway {
  url: string;
  router: Router;
  gateway: Gateway;
  telemetry: Instrumentation;
  /** Log lines at error level or above ("unhandled error" and the like). */
  errorLines(): string[];
  close(): Promise<void>;
}

export async function startInProcessGateway(config: SwitchyardConfigInput, options: RouterOptions = {}): Promise<InProcessGateway> {
  const cfg = parseConfig({ ...config, server: { host: '127.0.0.1', port: 0, ...(config.server ?? {}) } }, { env: {} });
  const errors: string[] = [];
  const sink = new Writable({
    write(chunk: Buffer | string, _enc, done) {
      for (const line of chunk.toString().split('\n')) {
        if (!line) continue;
        try {
          if ((JSON.parse(line) as { level?: number }).level! >= 50 && errors.length < 100) errors.push(line);
        } catch {
          // not JSON: ignore
        }
      }
      done();
    },
  });
  const { url, router, gateway, telemetry } = await wireGateway(cfg, sink, 'info', options);
  return {
    url,
    router,
    gateway,
    telemetry,
    errorLines: () => errors,
    async close() {
      await gateway.close({ graceMs: 0 });
      await router.close();
      telemetry.stop();
    },
  };
}
