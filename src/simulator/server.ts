import { createServer, type Server } from 'node:http';
import type { Socket } from 'node:net';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { handleChat } from './chat.js';
import { handleAnthropic } from './anthropic-api.js';
import { azureRoute, handleAzure } from './azure-api.js';
import { geminiRoute, handleGemini } from './gemini-api.js';
import { handleEmbeddings } from './embeddings.js';
import { handleResponses } from './responses-api.js';
import { handleOther } from './control.js';
import { SimulatorCore, type SimulatorStats } from './core.js';
import type { FaultSpec } from './faults.js';
import { sendError } from './http.js';

export interface SimulatorOptions {
  /** Interface to bind; default 127.0.0.1. */
  host?: string;
  /** Port to bind; 0 (the default) picks a free one. */
  port?: number;
  /** The initial fault spec; default `{}` (healthy). Validated: a bad one rejects with a RangeError. */
  faults?: FaultSpec;
  /** PRNG seed: the same seed and request order inject the same faults. Default: random. */
  seed?: number;
  /** Shown in answers, `/healthz` and `owned_by`, to tell simulators apart. Default "sim". */
  name?: string;
  /** Clock for outage windows and `created`; default Date.now. */
  now?: () => number;
  /** Bearer key required on /v1/* unless the fault spec sets its own `requireApiKey`. */
  requireApiKey?: string;
}

export interface Simulator {
  /** Base URL including /v1, e.g. http://127.0.0.1:PORT/v1 (OpenAI; Anthropic's Messages API is under it too). */
  readonly url: string;
  /** Gemini's base URL, http://127.0.0.1:PORT/v1beta. */
  readonly geminiUrl: string;
  /** Azure's resource URL, http://127.0.0.1:PORT (classic deployments and the v1 API under /openai). */
  readonly azureUrl: string;
  readonly port: number;
  /** Replaces the fault spec at runtime and restarts its outage schedule; throws RangeError on a bad spec. */
  setFaults(f: FaultSpec): void;
  /** A copy of the current fault spec. */
  readonly faults: FaultSpec;
  stats(): SimulatorStats;
  resetStats(): void;
  /** Stops listening and destroys every open socket (hung requests included); clears every timer. */
  close(): Promise<void>;
}

/** The OpenAI API paths the simulator answers (POST), each with the same fault injection. */
const API_PATHS = new Map<string, (core: SimulatorCore, req: IncomingMessage, res: ServerResponse) => Promise<void>>([
  ['/v1/chat/completions', handleChat],
  ['/v1/embeddings', handleEmbeddings],
  ['/v1/responses', handleResponses],
  ['/v1/messages', handleAnthropic],
]);

/** The paths of the other wire formats, whose path carries a name (a Gemini model, an Azure deployment). */
function nativeApi(path: string): ((core: SimulatorCore, req: IncomingMessage, res: ServerResponse) => Promise<void>) | undefined {
  if (geminiRoute(path)) return (core, req, res) => handleGemini(core, req, res, path);
  if (azureRoute(path)) return (core, req, res) => handleAzure(core, req, res, path);
  return undefined;
}

export async function startSimulator(opts: SimulatorOptions = {}): Promise<Simulator> {
  const seed = opts.seed ?? Math.floor(Math.random() * 2 ** 32);
  const core = new SimulatorCore(opts.name ?? 'sim', opts.faults ?? {}, seed, opts.now ?? Date.now, opts.requireApiKey);
  const sockets = new Set<Socket>();
  const server = createServer((req, res) => {
    const url = req.url ?? '/';
    const q = url.indexOf('?');
    const path = q === -1 ? url : url.slice(0, q);
    const api = req.method === 'POST' ? API_PATHS.get(path) ?? nativeApi(path) : undefined;
    const handling = api ? api(core, req, res) : handleOther(core, req, res, path);
    handling.catch((err: unknown) => {
      // A bug must surface as a 500 (or a cut stream) the test can see, not as an unhandled rejection
      // killing the runner, nor as a response left open forever.
      if (res.headersSent) res.destroy();
      else sendError(res, 500, `simulator bug: ${err instanceof Error ? err.message : String(err)}`);
    });
  });
  server.on('connection', (socket) => {
    sockets.add(socket);
    socket.once('close', () => sockets.delete(socket));
  });
  const host = opts.host ?? '127.0.0.1';
  await listen(server, opts.port ?? 0, host);
  const address = server.address();
  const port = typeof address === 'object' && address ? address.port : 0;
  const urlHost = host.includes(':') ? `[${host}]` : host === '0.0.0.0' ? '127.0.0.1' : host;

  let closing: Promise<void> | undefined;
  return {
    url: `http://${urlHost}:${port}/v1`,
    geminiUrl: `http://${urlHost}:${port}/v1beta`,
    azureUrl: `http://${urlHost}:${port}`,
    port,
    setFaults: (f) => core.setSpec(f),
    get faults() {
      return structuredClone(core.spec);
    },
    stats: () => core.stats(),
    resetStats: () => core.resetStats(),
    close() {
      closing ??= new Promise<void>((resolve) => {
        server.close(() => resolve());
        core.timers.close();
        for (const socket of sockets) socket.destroy();
      });
      return closing;
    },
  };
}

function listen(server: Server, port: number, host: string): Promise<void> {
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, host, () => {
      server.off('error', reject);
      resolve();
    });
  });
}

/** A loopback port with nothing listening on it: connecting gets "connection refused". */
export async function closedPort(): Promise<number> {
  const server = createServer();
  await listen(server, 0, '127.0.0.1');
  const address = server.address();
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return typeof address === 'object' && address ? address.port : 0;
}
