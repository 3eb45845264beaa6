import { SpanKind } from '@opentelemetry/api';
import type { Logger } from 'pino';
import { parseArgs } from 'node:util';
import { isConfigError, loadConfigFile, parseConfig, withParsedFields, type SwitchyardConfig } from '../config/index.js';
import { serverSchema } from '../config/schema.js';
import { createGateway, type Gateway } from '../gateway/app.js';
import { createLogger } from '../gateway/logging.js';
import { installShutdown } from '../gateway/shutdown.js';
import { createRouter } from '../router/router.js';
import type { Router } from '../router/types.js';
import { instrument, startTracingSdk, type Instrumentation } from '../telemetry/index.js';
import { consoleOutput, parsePort, reportProblems, type Output } from './args.js';
import { startDemo, type Demo } from './demo.js';
import { bannerLines } from './banner.js';

export const SERVE_USAGE = `Usage: switchyard serve [--config FILE] [--host H] [--port P]

Runs the OpenAI-compatible gateway.

  --config FILE   YAML or JSON config (default: $SWITCHYARD_CONFIG). With neither: when $OPENAI_API_KEY is
                  set, route "chat" over gpt-4o -> gpt-4o-mini on OpenAI; otherwise run the built-in demo
                  (simulated upstreams, one of them flaky) so circuits can be watched tripping and recovering
  --host H        interface to bind (overrides server.host; default 127.0.0.1)
  --port P        port to bind (overrides server.port; default 8080; 0 = any free port)

SIGTERM/SIGINT/SIGHUP drain in-flight requests (server.shutdownGraceMs), end what is left as 503s or
stream error events, and exit 0 (SIGHUP does not reload the config). A bad config lists every
problem and exits 2. Logs are JSON lines on stdout (LOG_LEVEL=debug for every request).`;

export type ServeMode = 'config' | 'openai' | 'demo';

export interface ServeOptions {
  configPath?: string;
  host?: string;
  port?: number;
  env?: NodeJS.ProcessEnv;
  logger?: Logger;
  /** Demo only: background traffic so circuits move without anyone sending requests. Default true. */
  demoTraffic?: boolean;
}

export interface Served {
  readonly url: string;
  readonly mode: ServeMode;
  /** The config file, for mode 'config'. */
  readonly configPath?: string;
  readonly config: SwitchyardConfig;
  readonly router: Router;
  readonly gateway: Gateway;
  readonly telemetry: Instrumentation;
  readonly demo?: Demo;
  readonly logger: Logger;
  /** After the gateway drained and the router closed: telemetry, tracing SDK, demo upstreams. */
  release(): Promise<void>;
  /** Drain, close the router, release: the whole graceful stop without exiting. */
  close(graceMs?: number): Promise<void>;
}

/** The default config when only OPENAI_API_KEY is given; the key stays an env reference, never a literal. */
export const OPENAI_DEFAULT_CONFIG = {
  providers: { openai: { baseURL: 'https://api.openai.com/v1', apiKey: '${OPENAI_API_KEY}', name: 'openai' } },
  endpoints: {
    'gpt-4o': { provider: 'openai', model: 'gpt-4o', timeoutMs: 30_000 },
    'gpt-4o-mini': { provider: 'openai', model: 'gpt-4o-mini', timeoutMs: 30_000 },
  },
  routes: { chat: { endpoints: ['gpt-4o', 'gpt-4o-mini'] } },
};

/** Client and admin keys for the built-in configs come from the environment when set. */
function envServer(env: NodeJS.ProcessEnv): Record<string, unknown> {
  return {
    ...(env.SWITCHYARD_API_KEY ? { apiKeys: ['${SWITCHYARD_API_KEY}'] } : {}),
    ...(env.SWITCHYARD_ADMIN_KEY ? { adminKey: '${SWITCHYARD_ADMIN_KEY}' } : {}),
  };
}

async function resolveConfig(opts: ServeOptions, env: NodeJS.ProcessEnv) {
  const configPath = opts.configPath ?? (env.SWITCHYARD_CONFIG?.trim() || undefined);
  if (configPath) {
    return { mode: 'config' as const, configPath, config: await loadConfigFile(configPath, { env }) };
  }
  if (env.OPENAI_API_KEY?.trim()) {
    return { mode: 'openai' as const, config: parseConfig({ ...OPENAI_DEFAULT_CONFIG, server: envServer(env) }, { env }) };
  }
  const demo = await startDemo();
  try {
    return { mode: 'demo' as const, demo, config: parseConfig({ ...demo.config, server: envServer(env) }, { env }) };
  } catch (e) {
    await demo.close();
    throw e;
  }
}

/** Starts everything `serve` runs, without signal handling: the CLI adds that, tests call close(). */
export async function startServe(opts: ServeOptions = {}): Promise<Served> {
  const env = opts.env ?? process.env;
  const logger = opts.logger ?? createLogger();
  const resolved = await resolveConfig(opts, env);
  const demo = 'demo' in resolved ? resolved.demo : undefined;
  const config: SwitchyardConfig = resolved.config;
  const server = { ...(config.server ?? serverSchema.parse({})), ...(opts.host !== undefined ? { host: opts.host } : {}), ...(opts.port !== undefined ? { port: opts.port } : {}) };
  // Substituted once, by resolveConfig: createRouter takes it as `check` validated it.
  const cfg: SwitchyardConfig = withParsedFields(config, { server });

  const cleanup: (() => Promise<void> | void)[] = [];
  if (demo) cleanup.push(() => demo.close());
  try {
    const sdk = await startTracingSdk({ env });
    if (sdk) cleanup.unshift(() => sdk.shutdown());
    // The lean undici transport (also the library's default), whatever a provider's config leaves unsaid.
    const router = createRouter(cfg, { transport: 'native' });
    cleanup.unshift(() => router.close());
    // The gateway opens no HTTP server span of its own, so the router's request span is the SERVER span.
    const telemetry = instrument(router, { requestSpanKind: SpanKind.SERVER });
    cleanup.unshift(() => telemetry.stop());
    const gateway = createGateway({ router, config: cfg, metrics: telemetry, logger });
    const { url } = await gateway.listen(server.port, server.host);
    const stopTraffic = demo && opts.demoTraffic !== false ? demo.startTraffic(router) : undefined;

    let released: Promise<void> | undefined;
    const release = () =>
      (released ??= (async () => {
        stopTraffic?.();
        telemetry.stop();
        await sdk?.shutdown();
        await demo?.close();
      })());
    return {
      url,
      mode: resolved.mode,
      ...('configPath' in resolved ? { configPath: resolved.configPath } : {}),
      config: cfg,
      router,
      gateway,
      telemetry,
      ...(demo ? { demo } : {}),
      logger,
      release,
      async close(graceMs = server.shutdownGraceMs) {
        await gateway.close({ graceMs });
        await router.close();
        await release();
      },
    };
  } catch (e) {
    for (const c of cleanup) await c();
    throw e;
  }
}

export function parseServeArgs(argv: string[]): { help: boolean; configPath?: string; host?: string; port?: number } {
  const { values } = parseArgs({
    args: argv,
    options: {
      config: { type: 'string', short: 'c' },
      host: { type: 'string' },
      port: { type: 'string', short: 'p' },
      help: { type: 'boolean', short: 'h' },
    },
    allowPositionals: false,
    strict: true,
  });
  return {
    help: values.help ?? false,
    ...(values.config !== undefined ? { configPath: values.config } : {}),
    ...(values.host !== undefined ? { host: values.host } : {}),
    ...(values.port !== undefined ? { port: parsePort(values.port, '--port') } : {}),
  };
}

export async function runServe(argv: string[], io: Output = consoleOutput): Promise<number | undefined> {
  const args = parseServeArgs(argv);
  if (args.help) {
    io.out(SERVE_USAGE);
    return 0;
  }
  let served: Served;
  try {
    served = await startServe(args);
  } catch (e) {
    if (!isConfigError(e)) throw e;
    const where = args.configPath ?? process.env.SWITCHYARD_CONFIG ?? 'configuration';
    reportProblems(io, `switchyard: ${where}`, e.problems);
    return 2;
  }
  installShutdown({
    gateway: served.gateway,
    router: served.router,
    logger: served.logger,
    graceMs: served.config.server?.shutdownGraceMs ?? 15_000,
    onClosed: () => served.release(),
  });
  for (const line of bannerLines(served)) io.err(line);
  return undefined;
}
