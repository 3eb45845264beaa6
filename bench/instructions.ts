/*
 * Instructions per request, the gateway against the bare proxy, counted by callgrind (valgrind): the measure
 * of this bench that does not move with the host. Time on a shared two-core VM moves by a factor of two within
 * minutes; instruction counts of one build agree within a few percent, and the windows show how closely. It
 * does not see the kernel, cache misses or waiting, so it complements the throughput runs (bench/RESULTS.md)
 * and does not replace them.
 *
 * `npm run bench:instructions` (needs valgrind: `apt-get install -y --no-install-recommends valgrind`), about
 * ten minutes; writes bench/INSTRUCTIONS.md. `-- --requests=N --windows=N --warmup=N --only=plain|stream`.
 *
 * Each server runs under callgrind with instrumentation off; after the warm-up (two load runs, because the
 * first time a client's connections close V8 throws away much of the optimised code of the hot path, and the
 * second run re-optimises it) counting is switched on for N requests at 32 connections and dumped, in several
 * windows one after another, since V8 still optimises now and then and a window it falls into counts more.
 */
import { execFileSync } from 'node:child_process';
import { readdirSync, rmSync, writeFileSync } from 'node:fs';
import { basename } from 'node:path';
import { fileURLToPath } from 'node:url';
import { ensureBuild } from './build.js';
import { machine, srcVersion } from './machine.js';
import { categorize, CATEGORIES, type Counts } from './instructions-categories.js';
import { runLoad } from './load.js';
import { body, startGateway, startUpstreams, TMP_DIR } from './overhead-gateway.js';
import { spawnChild } from './procs.js';
import { int, table } from './stats.js';

const args = process.argv.slice(2);
const arg = (k: string, d: number) => Number(args.find((a) => a.startsWith(`--${k}=`))?.split('=')[1] ?? d);
const REQUESTS = arg('requests', 2_000);
/** Counted windows per server: the report takes the one with the median of the rest. */
const WINDOWS = arg('windows', 3);
const WARMUP = arg('warmup', 40_000);
const CONNECTIONS = 32;
const modes = (args.find((a) => a.startsWith('--only='))?.slice(7) ?? 'plain,stream').split(',') as ('plain' | 'stream')[];
const here = fileURLToPath(new URL('.', import.meta.url));

type Server = 'bare proxy' | 'switchyard';
interface Row {
  server: Server;
  mode: 'plain' | 'stream';
  /** Instructions per request, by category, in the window with the median of the rest. */
  perRequest: Counts;
  /** The rest per request in every window, in order. */
  windows: number[];
}

function need(tool: string): void {
  try {
    execFileSync('sh', ['-c', `command -v ${tool}`], { stdio: 'ignore' });
  } catch {
    process.stderr.write(`${tool} is not installed: apt-get install -y --no-install-recommends valgrind\n`);
    process.exit(2);
  }
}

async function count(server: Server, mode: 'plain' | 'stream', upstream: string, configPath: string): Promise<Row> {
  const out = `${TMP_DIR}callgrind-${server.replace(' ', '-')}-${mode}.out`;
  const removeDumps = () => {
    for (const f of readdirSync(TMP_DIR)) if (f.startsWith(basename(out))) rmSync(`${TMP_DIR}${f}`);
  };
  removeDumps();
  const under = { wrapper: ['valgrind', '--tool=callgrind', '--instr-atstart=no', '--smc-check=all-non-file', `--callgrind-out-file=${out}`], readyTimeoutMs: 180_000 };
  const child = server === 'switchyard' ? await startGateway(configPath, under) : await spawnChild('bare-proxy.ts', [upstream], under);
  try {
    const load = { url: `${child.ready.url as string}/v1/chat/completions`, body: body(server === 'switchyard' ? 'chat' : 'sim-model', mode === 'stream'), connections: CONNECTIONS, limitMs: 1_200_000 };
    for (const amount of [Math.ceil(WARMUP / 2), Math.floor(WARMUP / 2)]) await runLoad({ ...load, amount });
    const counted: Counts[] = [];
    for (let w = 1; w <= WINDOWS; w++) {
      execFileSync('callgrind_control', ['-i', 'on', String(child.pid)], { stdio: 'ignore' });
      const measured = await runLoad({ ...load, amount: REQUESTS });
      execFileSync('callgrind_control', ['-i', 'off', String(child.pid)], { stdio: 'ignore' });
      execFileSync('callgrind_control', ['-d', String(child.pid)], { stdio: 'ignore' });
      if (measured.non2xx || measured.errors) throw new Error(`${server} ${mode}: ${measured.non2xx} non-2xx, ${measured.errors} errors`);
      // Each dump is the next numbered file; counting was on only for this window's requests.
      const annotated = execFileSync('callgrind_annotate', ['--threshold=100', '--inclusive=no', `${out}.${w}`], { encoding: 'utf8', maxBuffer: 256 * 1024 * 1024 });
      const c = categorize(annotated);
      counted.push(CATEGORIES.reduce((acc, k) => ({ ...acc, [k]: c[k] / measured.responses }), {} as Counts));
    }
    const byRest = [...counted].sort((a, b) => a.rest - b.rest);
    return { server, mode, perRequest: byRest[(byRest.length - 1) >> 1]!, windows: counted.map((c) => c.rest) };
  } finally {
    // Killed, not asked to stop: a graceful stop under valgrind is slow, and its exit dump is not wanted.
    process.kill(child.pid, 'SIGKILL');
    await child.stop();
    removeDumps();
  }
}

function render(rows: Row[], valgrind: string, src: string): string {
  const m = machine();
  const k = (v: number) => `${(v / 1000).toFixed(1)}k`;
  const out = [
    '# Switchyard bench: instructions per request',
    '',
    `Command: \`npm run bench:instructions${args.length ? ` -- ${args.join(' ')}` : ''}\`, ${new Date().toISOString()}; src/ at \`${src}\`. ${m.cpu}, ${m.cores} cores, Node ${m.node}, ${valgrind}.`,
    '',
    `Each server under callgrind: ${int(WARMUP)} requests of warm-up, then ${WINDOWS} windows of ${int(REQUESTS)} requests at ${CONNECTIONS} connections, every thread counted; the table gives the window with the median of "the rest" (the steady per-request work: everything but V8's JIT compiler and major GC, which come in bursts). Upstream: the simulator. Not counted: the kernel, cache misses, waiting.`,
    '',
  ];
  const body: string[][] = [];
  for (const mode of modes) {
    const proxy = rows.find((r) => r.server === 'bare proxy' && r.mode === mode);
    for (const r of rows.filter((x) => x.mode === mode)) {
      const rest = r.perRequest.rest;
      body.push([
        mode,
        r.server === 'switchyard' ? '**switchyard**' : r.server,
        k(rest),
        k(r.perRequest.compiler),
        k(r.perRequest.majorGc),
        k(rest + r.perRequest.compiler + r.perRequest.majorGc),
        r.server === 'switchyard' && proxy ? `${(rest / proxy.perRequest.rest).toFixed(2)}×` : '-',
        r.server === 'switchyard' && proxy ? verdict(mode, rest / proxy.perRequest.rest) : '-',
        r.windows.map(k).join(', '),
      ]);
    }
  }
  out.push(table(['mode', 'server', 'the rest', 'JIT compiler', 'major GC', 'all', 'the rest vs the bare proxy', 'target', 'the rest, every window'], body), '');
  return out.join('\n');
}

/** The targets: instructions per request (the rest) against the bare proxy's, the steadiest measure this host gives. */
const TARGET: Record<'plain' | 'stream', number> = { plain: 1.15, stream: 1.35 };
function verdict(mode: 'plain' | 'stream', ratio: number): string {
  return `≤ ${TARGET[mode].toFixed(2)}×: ${ratio <= TARGET[mode] ? 'met' : '**missed**'}`;
}

need('valgrind');
need('callgrind_annotate');
await ensureBuild();
const valgrind = execFileSync('valgrind', ['--version'], { encoding: 'utf8' }).trim();
const version = srcVersion();
const src = version ? `${version.commit}${version.dirty ? ' (with uncommitted changes)' : ''}` : 'unknown';
const { sims, urls, configPath } = await startUpstreams();
const rows: Row[] = [];
try {
  for (const mode of modes) {
    for (const server of ['bare proxy', 'switchyard'] as Server[]) {
      process.stderr.write(`counting ${server}, ${mode}...\n`);
      const row = await count(server, mode, urls.a!.replace(/\/v1$/, ''), configPath);
      process.stderr.write(`  ${(row.perRequest.rest / 1000).toFixed(1)}k instructions per request (the rest; windows ${row.windows.map((w) => (w / 1000).toFixed(1)).join(', ')}), compiler ${(row.perRequest.compiler / 1000).toFixed(1)}k, major GC ${(row.perRequest.majorGc / 1000).toFixed(1)}k\n`);
      rows.push(row);
    }
  }
} finally {
  await sims.stop();
}
const file = `${here}INSTRUCTIONS.md`;
writeFileSync(file, render(rows, valgrind, src));
process.stderr.write(`wrote ${file}\n`);
process.exit(0);
