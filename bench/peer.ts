import { execFile } from 'node:child_process';
import { existsSync, mkdirSync, writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { startProc, type Proc } from './procs.js';

/*
 * The peer: Portkey's open-source AI gateway (@portkey-ai/gateway 1.15.2), installed in bench/.peer (a
 * package of its own, gitignored), never as a project dependency. Its streaming fails with
 * `TypeError: immutable` unless @hono/node-server is pinned to 1.14.1 (STACK.md), hence the override.
 */

const PEER_VERSION = '1.15.2';
const PEER_DIR = fileURLToPath(new URL('./.peer/', import.meta.url));
const START = `${PEER_DIR}node_modules/@portkey-ai/gateway/build/start-server.js`;
const PRELOAD = fileURLToPath(new URL('./peer-preload.mjs', import.meta.url));

export type PeerInstall = { ok: true } | { ok: false; reason: string };

/** Installs Portkey in bench/.peer when it is missing. Never throws: a failure is reported as a reason. */
export async function ensurePeer(log: (line: string) => void): Promise<PeerInstall> {
  if (existsSync(START)) return { ok: true };
  try {
    mkdirSync(PEER_DIR, { recursive: true });
    const pkg = { name: 'switchyard-bench-peer', private: true, dependencies: { '@portkey-ai/gateway': PEER_VERSION }, overrides: { '@hono/node-server': '1.14.1' } };
    writeFileSync(`${PEER_DIR}package.json`, `${JSON.stringify(pkg, null, 2)}\n`);
    log(`installing @portkey-ai/gateway@${PEER_VERSION} in bench/.peer (npm install, up to 5 minutes)...`);
    await promisify(execFile)('npm', ['install', '--prefix', PEER_DIR, '--no-audit', '--no-fund', '--loglevel=error'], { timeout: 300_000 });
  } catch (e) {
    return { ok: false, reason: `npm install failed: ${(e instanceof Error ? e.message : String(e)).split('\n')[0]}` };
  }
  return existsSync(START) ? { ok: true } : { ok: false, reason: `installed, but ${START} is missing` };
}

export interface Peer {
  readonly url: string;
  readonly proc: Proc;
  /** The upstream fetches Portkey made since the last call, [epoch ms, host:port] (only with `logFetches`). */
  fetches(): [number, string][];
}

/** Starts Portkey headless on a free loopback port, or says why it cannot run. */
export async function tryStartPeer(install: PeerInstall, logFetches = false): Promise<{ peer?: Peer; missing?: string }> {
  if (!install.ok) return { missing: `peer not available: ${install.reason}` };
  try {
    const env = { NODE_ENV: 'production', PEER_LOG_FETCHES: logFetches ? '1' : '0' };
    const proc = await startProc([process.execPath, '--import', PRELOAD, START, '--port=0', '--headless'], /peer listening on port (\d+)/, { env });
    let from = proc.mark();
    const fetches = (): [number, string][] => {
      const text = proc.output(from);
      from = proc.mark();
      return [...text.matchAll(/^fetch (\d+) (\S+)$/gm)].map((m) => [Number(m[1]), m[2]!]);
    };
    return { peer: { url: `http://127.0.0.1:${proc.ready[1]}`, proc, fetches } };
  } catch (e) {
    return { missing: `peer not available: ${e instanceof Error ? e.message.split('\n')[0] : String(e)}` };
  }
}

/**
 * The `x-portkey-config` header: fallback across OpenAI-compatible upstreams, in order (STACK.md).
 * `requestTimeoutMs` is Portkey's per-target timeout; without it a black-holed upstream holds the request forever.
 */
export function fallbackConfig(targets: { baseURL: string; requestTimeoutMs?: number }[]): string {
  return JSON.stringify({
    strategy: { mode: 'fallback' },
    targets: targets.map((t, i) => ({
      provider: 'openai',
      api_key: `k${i + 1}`,
      custom_host: t.baseURL,
      ...(t.requestTimeoutMs ? { request_timeout: t.requestTimeoutMs } : {}),
    })),
  });
}
