import { execFile } from 'node:child_process';
import { existsSync, mkdirSync, writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { spawnChild, type Child } from './procs.js';

/*
 * The peer: Portkey's open-source AI gateway (@portkey-ai/gateway 1.15.2), installed in bench/.peer (a
 * package of its own, gitignored), never as a project dependency. Its streaming fails with
 * `TypeError: immutable` unless @hono/node-server is pinned to 1.14.1 (STACK.md), hence the override.
 */

export const PEER_VERSION = '1.15.2';
const PEER_DIR = fileURLToPath(new URL('./.peer/', import.meta.url));
const START = `${PEER_DIR}node_modules/@portkey-ai/gateway/build/start-server.js`;
const PRELOAD = fileURLToPath(new URL('./peer-preload.mjs', import.meta.url));

export type PeerInstall = { ok: true; installed: boolean } | { ok: false; reason: string };

/** Installs Portkey in bench/.peer when it is missing. Never throws: a failure is reported as a reason. */
export async function ensurePeer(log: (line: string) => void = () => undefined): Promise<PeerInstall> {
  if (existsSync(START)) return { ok: true, installed: false };
  try {
    mkdirSync(PEER_DIR, { recursive: true });
    writeFileSync(
      `${PEER_DIR}package.json`,
      `${JSON.stringify(
        {
          name: 'switchyard-bench-peer',
          private: true,
          description: 'Portkey gateway, installed by bench/peer.ts to measure against; not a Switchyard dependency',
          dependencies: { '@portkey-ai/gateway': PEER_VERSION },
          overrides: { '@hono/node-server': '1.14.1' },
        },
        null,
        2,
      )}\n`,
    );
    log(`installing @portkey-ai/gateway@${PEER_VERSION} in bench/.peer (npm install, up to 5 minutes)...`);
    await new Promise<void>((resolve, reject) => {
      execFile(
        'npm',
        ['install', '--prefix', PEER_DIR, '--no-audit', '--no-fund', '--loglevel=error'],
        { timeout: 300_000, maxBuffer: 10 * 1024 * 1024 },
        (err, _out, stderr) => (err ? reject(new Error(`${err.message}\n${stderr.slice(-1000)}`)) : resolve()),
      );
    });
  } catch (e) {
    return { ok: false, reason: `npm install failed: ${(e instanceof Error ? e.message : String(e)).split('\n')[0]}` };
  }
  return existsSync(START) ? { ok: true, installed: true } : { ok: false, reason: `installed, but ${START} is missing` };
}

export interface Peer {
  readonly url: string;
  readonly child: Child;
  /** Drains the log of upstream fetches Portkey made: [epoch ms, host:port]. */
  fetches(): Promise<[number, string][]>;
  stop(): Promise<void>;
}

/** Starts Portkey when it is installed; a reason instead when it cannot run. */
export async function tryStartPeer(install: PeerInstall): Promise<{ peer?: Peer; missing?: string }> {
  if (!install.ok) return { missing: `peer not available: ${install.reason}` };
  try {
    return { peer: await startPeer() };
  } catch (e) {
    return { missing: `peer not available: ${e instanceof Error ? e.message.split('\n')[0] : String(e)}` };
  }
}

/** Starts Portkey headless on a free loopback port; resolves once it listens. */
export async function startPeer(): Promise<Peer> {
  const child = await spawnChild(START, ['--port=0', '--headless'], {
    tsx: false,
    nodeArgs: ['--import', PRELOAD],
    env: { NODE_ENV: 'production' },
  });
  const port = child.ready.port as number;
  return {
    url: `http://127.0.0.1:${port}`,
    child,
    fetches: () => child.call<[number, string][]>('fetches'),
    stop: async () => void (await child.stop()),
  };
}

/** A Portkey target for one OpenAI-compatible upstream. */
export interface PeerTarget {
  baseURL: string;
  apiKey?: string;
  /** Portkey's per-target timeout (ms); without it a black-holed upstream holds the request forever. */
  requestTimeoutMs?: number;
}

/** The `x-portkey-config` header: fallback across the targets, in order (STACK.md). */
export function fallbackConfig(targets: PeerTarget[]): string {
  return JSON.stringify({
    strategy: { mode: 'fallback' },
    targets: targets.map((t, i) => ({
      provider: 'openai',
      api_key: t.apiKey ?? `k${i + 1}`,
      custom_host: t.baseURL,
      ...(t.requestTimeoutMs ? { request_timeout: t.requestTimeoutMs } : {}),
    })),
  });
}
