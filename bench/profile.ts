import { mkdirSync, readFileSync, rmSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { runLoad, type LoadResult } from './load.js';
import { body, startGateway, startUpstreams } from './overhead-gateway.js';

/*
 * Where the gateway's time goes: `switchyard serve` under load with the V8 CPU profiler, and the profile
 * reduced to self time per function and per package (express, openai, undici, pino, prom-client, our src/...).
 */

interface CpuProfileNode {
  id: number;
  callFrame: { functionName: string; url: string; lineNumber: number; columnNumber: number };
  hitCount?: number;
  children?: number[];
}
interface CpuProfile {
  nodes: CpuProfileNode[];
  samples: number[];
  timeDeltas: number[];
  startTime: number;
  endTime: number;
}

export interface ProfileRow {
  name: string;
  /** Share of busy (non-idle) time. */
  share: number;
  ms: number;
}

export interface ProfileSummary {
  load: LoadResult;
  /** Busy CPU time sampled, ms. */
  busyMs: number;
  /** Busy CPU per request, µs. */
  busyUsPerRequest: number;
  /** Self time grouped by package / source folder. */
  byPackage: ProfileRow[];
  /** Time under at least one frame of the package (inclusive), so a package that calls others gets their time too. */
  inclusiveByPackage: ProfileRow[];
  /** Functions with the most self time. */
  topFunctions: ProfileRow[];
  /** Inclusive time of selected functions of interest (router, express, SDK...). */
  topInclusive: ProfileRow[];
  file: string;
}

const ROOT = fileURLToPath(new URL('..', import.meta.url));
export const PROF_DIR = fileURLToPath(new URL('./.prof/', import.meta.url));

/** The package (or source folder) a frame belongs to. */
export function packageOf(url: string, functionName: string): string {
  if (!url) {
    if (functionName === '(garbage collector)') return '(gc)';
    if (functionName === '(program)') return '(program: native, unattributed)';
    if (functionName === '(idle)') return '(idle)';
    return functionName || '(native)';
  }
  const nm = url.lastIndexOf('/node_modules/');
  if (nm !== -1) {
    const rest = url.slice(nm + '/node_modules/'.length).split('/');
    return rest[0]!.startsWith('@') ? `${rest[0]}/${rest[1]}` : rest[0]!;
  }
  if (url.startsWith('node:')) {
    const parts = url.slice(5).split('/');
    return `node:${parts[0] === 'internal' ? parts.slice(1, 3).join('/').replace(/\.js$/, '') : parts[0]}`;
  }
  const path = url.replace(/^file:\/\//, '');
  // The compiled build the bench measures (build.ts) stands for src/.
  const dist = path.indexOf('/bench/.tmp/dist/');
  if (dist !== -1) return `switchyard src/${path.slice(dist + '/bench/.tmp/dist/'.length).split('/')[0]!.replace(/\.js$/, '')}`;
  if (path.startsWith(ROOT)) {
    const rel = path.slice(ROOT.length).split('/');
    return rel[0] === 'src' ? `switchyard src/${rel[1]?.replace(/\.ts$/, '')}` : rel.slice(0, 2).join('/');
  }
  return path;
}

function shortUrl(url: string): string {
  const path = url.replace(/^file:\/\//, '').replace(/^.*\/bench\/\.tmp\/dist\//, 'src/');
  const nm = path.lastIndexOf('/node_modules/');
  if (nm !== -1) return path.slice(nm + '/node_modules/'.length);
  return path.startsWith(ROOT) ? path.slice(ROOT.length) : path;
}

export function analyzeProfile(file: string, requests: number): Omit<ProfileSummary, 'load' | 'file'> {
  const p = JSON.parse(readFileSync(file, 'utf8')) as CpuProfile;
  const byId = new Map(p.nodes.map((n) => [n.id, n]));
  const parent = new Map<number, number>();
  for (const n of p.nodes) for (const c of n.children ?? []) parent.set(c, n.id);
  const selfMs = new Map<number, number>();
  // timeDeltas[i] is the time elapsed before sample i: sample i lasted until sample i+1.
  for (let i = 0; i < p.samples.length; i++) {
    const dt = (p.timeDeltas[i + 1] ?? p.timeDeltas[i] ?? 0) / 1000;
    selfMs.set(p.samples[i]!, (selfMs.get(p.samples[i]!) ?? 0) + dt);
  }
  const isIdle = (n: CpuProfileNode) => n.callFrame.functionName === '(idle)' || n.callFrame.functionName === '(root)';
  let busy = 0;
  const pkgSelf = new Map<string, number>();
  const fnSelf = new Map<string, number>();
  const pkgIncl = new Map<string, number>();
  const fnIncl = new Map<string, number>();
  for (const [id, t] of selfMs) {
    const n = byId.get(id)!;
    if (isIdle(n)) continue;
    busy += t;
    const cf = n.callFrame;
    const pkg = packageOf(cf.url, cf.functionName);
    pkgSelf.set(pkg, (pkgSelf.get(pkg) ?? 0) + t);
    const fn = cf.url ? `${cf.functionName || '(anonymous)'} (${shortUrl(cf.url)}:${cf.lineNumber + 1})` : pkg;
    fnSelf.set(fn, (fnSelf.get(fn) ?? 0) + t);
    // Inclusive: every package and function on the stack, once per sample.
    const pkgs = new Set<string>();
    const fns = new Set<string>();
    for (let cur: number | undefined = id; cur !== undefined; cur = parent.get(cur)) {
      const f = byId.get(cur)!.callFrame;
      if (!f.url) continue;
      pkgs.add(packageOf(f.url, f.functionName));
      fns.add(`${f.functionName || '(anonymous)'} (${shortUrl(f.url)}:${f.lineNumber + 1})`);
    }
    for (const k of pkgs) pkgIncl.set(k, (pkgIncl.get(k) ?? 0) + t);
    for (const k of fns) fnIncl.set(k, (fnIncl.get(k) ?? 0) + t);
  }
  const rows = (m: Map<string, number>, n: number) =>
    [...m]
      .sort((a, b) => b[1] - a[1])
      .slice(0, n)
      .map(([name, t]) => ({ name, ms: t, share: busy > 0 ? t / busy : 0 }));
  // Inclusive rows worth reading: our code and the big libraries' entry points, not node internals.
  const interesting = new Map([...fnIncl].filter(([k]) => !k.includes('node:') && !/^\(anonymous\)/.test(k)));
  return {
    busyMs: busy,
    busyUsPerRequest: requests > 0 ? (busy * 1000) / requests : NaN,
    byPackage: rows(pkgSelf, 40),
    inclusiveByPackage: rows(pkgIncl, 60),
    topFunctions: rows(fnSelf, 60),
    topInclusive: rows(interesting, 60),
  };
}

/**
 * Runs the gateway under load at `connections` and profiles the measured window only (V8's sampling CPU
 * profiler, as `node --cpu-prof` uses, started after warm-up through node:inspector), then summarizes it.
 */
export async function profileGateway(opts: { durationMs: number; connections: number; stream?: boolean; log: (l: string) => void }): Promise<ProfileSummary> {
  mkdirSync(PROF_DIR, { recursive: true });
  const file = `${PROF_DIR}gateway-${opts.stream ? 'stream' : 'plain'}-c${opts.connections}.cpuprofile`;
  rmSync(file, { force: true });
  const { sims, configPath } = await startUpstreams();
  let load: LoadResult;
  try {
    const gateway = await startGateway(configPath);
    try {
      const url = `${gateway.ready.url as string}/v1/chat/completions`;
      await runLoad({ url, body: body('chat', opts.stream === true), connections: opts.connections, durationMs: 1_000 });
      await gateway.call('profileStart', { intervalUs: 200 });
      load = await runLoad({ url, body: body('chat', opts.stream === true), connections: opts.connections, durationMs: opts.durationMs });
      await gateway.call('profileStop', { file }, 60_000);
    } finally {
      await gateway.stop();
    }
  } finally {
    await sims.stop();
  }
  const summary = analyzeProfile(file, load.responses);
  opts.log(`  profile: ${summary.busyMs.toFixed(0)} ms busy in ${load.elapsedS.toFixed(1)} s, ~${summary.busyUsPerRequest.toFixed(0)} µs of gateway CPU per request`);
  return { load, file: file.slice(ROOT.length), ...summary };
}
