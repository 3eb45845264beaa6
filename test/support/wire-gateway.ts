import type { Writable } from 'node:stream';
import type { SwitchyardConfig } from '../../src/config/index.js';
import { createGateway } from '../../src/gateway/app.js';
import { createLogger } from '../../src/gateway/logging.js';
import { createRouter } from '../../src/router/router.js';
import type { RouterOptions } from '../../src/router/types.js';
import { instrument } from '../../src/telemetry/index.js';

/**
 * Router, telemetry and gateway wired as `switchyard serve` wires them, in this process, the log lines going to
 * `sink`, listening on a free loopback port. No test-runner import: the bench's failover systems use it too.
 */
export async function wireGateway(config: SwitchyardConfig, sink: Writable, level: string, options: RouterOptions = {}) {
  const logger = createLogger({ level, destination: sink });
  const router = createRouter(config, options);
  const telemetry = instrument(router);
  const gateway = createGateway({ router, config, metrics: telemetry, logger });
  const { url } = await gateway.listen(0, '127.0.0.1');
  return { url, router, gateway, telemetry };
}
