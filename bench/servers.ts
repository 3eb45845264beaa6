import { execFile } from 'node:child_process';
import { existsSync, mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { startProc, type Proc } from './procs.js';

/*
 * The processes under test. Switchyard is measured as shipped: the JavaScript `tsc` emits, run by plain node
 * as `switchyard serve` and `switchyard simulate`, compiled into bench/.tmp/dist so the project's dist/ is
 * never touched.
 */

const ROOT = fileURLToPath(new URL('..', import.meta.url));
export const TMP_DIR = fileURLToPath(new URL('./.tmp/', import.meta.url));
const DIST = `${TMP_DIR}dist/`;

let built: Promise<void> | undefined;
function ensureBuild(): Promise<void> {
  built ??= new Promise<void>((resolve, reject) => {
    rmSync(DIST, { recursive: true, force: true });
    const tsc = [`${ROOT}node_modules/typescript/bin/tsc`, '-p', `${ROOT}tsconfig.build.json`, '--outDir', DIST, '--declaration', 'false', '--sourceMap', 'false'];
    // tsc emits even with type errors; only a missing output is fatal.
    execFile(process.execPath, tsc, { cwd: ROOT, timeout: 180_000 }, (err, stdout) =>
      existsSync(`${DIST}cli/main.js`) ? resolve() : reject(new Error(`tsc produced no output: ${err?.message ?? ''} ${stdout.slice(0, 500)}`)),
    );
  });
  return built;
}

/** A module of the compiled build, e.g. importDist<typeof import('../src/router/router.js')>('router/router.js'). */
export async function importDist<T>(path: string): Promise<T> {
  await ensureBuild();
  return (await import(pathToFileURL(`${DIST}${path}`).href)) as T;
}

/** How a server is run: extra node flags, or a command node runs under (valgrind's, which keeps node's pid). */
export type RunUnder = { nodeArgs?: string[]; wrapper?: string[]; timeoutMs?: number };
const node = (u: RunUnder, ...args: string[]) => [...(u.wrapper ?? []), process.execPath, ...(u.nodeArgs ?? []), ...args];

/** Two simulators (`a`, `b`) in a process of their own, and a config routing `chat` over them (written to a file too). */
export async function startUpstreams() {
  await ensureBuild();
  const sims = await startProc(node({}, `${DIST}cli/main.js`, 'simulate', '--ports', '0,0', '--seed', '1'), /listening on (\S+)[^]*listening on (\S+)/);
  const urls = { a: sims.ready[1]!, b: sims.ready[2]! };
  const config = {
    providers: { a: { baseURL: urls.a, apiKey: 'sk-bench-a' }, b: { baseURL: urls.b, apiKey: 'sk-bench-b' } },
    endpoints: { primary: { provider: 'a', model: 'sim-model' }, secondary: { provider: 'b', model: 'sim-model' } },
    routes: { chat: { endpoints: ['primary', 'secondary'] } },
  };
  mkdirSync(TMP_DIR, { recursive: true });
  const configPath = `${TMP_DIR}overhead-config.json`;
  writeFileSync(configPath, JSON.stringify(config, null, 2));
  return { sims, urls, config, configPath };
}

/** `switchyard serve --config FILE` on a free port; its request log (stdout) is dropped. */
export async function startGateway(configPath: string, u: RunUnder = {}): Promise<Proc & { url: string }> {
  await ensureBuild();
  const argv = node(u, `${DIST}cli/main.js`, 'serve', '--config', configPath, '--port', '0');
  const p = await startProc(argv, /gateway listening on (\S+)/, { env: { LOG_LEVEL: 'info' }, stdout: 'ignore', timeoutMs: u.timeoutMs ?? 60_000 });
  return { ...p, url: p.ready[1]! };
}

/** bench/bare-proxy.ts in front of `upstream` (the simulator's origin). */
export async function startProxy(upstream: string, u: RunUnder = {}): Promise<Proc & { url: string }> {
  const argv = node({ ...u, nodeArgs: [...(u.nodeArgs ?? []), '--import', 'tsx'] }, `${ROOT}bench/bare-proxy.ts`, upstream);
  const p = await startProc(argv, /listening on (\S+)/, { timeoutMs: u.timeoutMs ?? 60_000 });
  return { ...p, url: p.ready[1]! };
}

/** How a request asks for its answer: whole, or as a stream of events. */
export type Mode = 'plain' | 'stream';
export const MODES: Mode[] = ['plain', 'stream'];
export const MESSAGES = [{ role: 'user' as const, content: 'Say hello in one short sentence.' }];
/** A chat completion request's JSON body. */
export function body(model: string, stream: boolean): string {
  return JSON.stringify({ model, messages: MESSAGES, ...(stream ? { stream: true } : {}) });
}
