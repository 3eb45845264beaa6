/*
 * Instructions per request, the gateway against the bare proxy, counted by callgrind (valgrind): the measure
 * of this bench that does not move with the host. Time on a shared two-core VM moves by a factor of two within
 * minutes; instruction counts of one build agree within a few percent, and the windows show how closely. It
 * does not see the kernel, cache misses or waiting, so it complements the throughput runs (bench/RESULTS.md).
 *
 * `npm run bench:instructions` (needs valgrind: `apt-get install -y --no-install-recommends valgrind`), about
 * ten minutes; writes bench/INSTRUCTIONS.md. `-- --requests=N --windows=N --warmup=N --only=plain|stream`
 * (with --only, the other mode's rows of the file are kept, each row saying which src/ it counted).
 *
 * Each server runs under callgrind with instrumentation off; 32 callers on keep-alive connections send the
 * warm-up, then counting is switched on for N requests and dumped, in several windows one after another, on
 * the same connections throughout: connections that close make V8 throw away optimised code of node's stream
 * functions, and windows that re-optimise it count up to a third more. A window with a failed request (a
 * loaded host can time one out under valgrind) is counted again, twice at most.
 */
import { execFileSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { Agent, request } from 'node:http';
import { machine, srcVersion } from './report.js';
import { cleanupAll } from './procs.js';
import { body, startGateway, startProxy, startUpstreams, TMP_DIR, type Mode, type RunUnder } from './servers.js';
import { int, table } from './stats.js';

const args = process.argv.slice(2);
const number = (d: number) => ({ type: 'string', default: String(d) }) as const;
const { values: opt } = parseArgs({ options: { requests: number(2_000), windows: number(3), warmup: number(40_000), only: { type: 'string', default: 'plain,stream' } } });
const [REQUESTS, WINDOWS, WARMUP] = [opt.requests, opt.windows, opt.warmup].map(Number) as [number, number, number];
const CONNECTIONS = 32;
const modes = opt.only.split(',') as Mode[];
const FILE = fileURLToPath(new URL('./INSTRUCTIONS.md', import.meta.url));
/** The targets: instructions per request (the rest) against the bare proxy's. */
const TARGET: Record<Mode, number> = { plain: 1.15, stream: 1.35 };

// V8's optimising compilers, parser and bytecode generator (not node's HTTP `Parser`, which is per-request work),
// and the mark-compact collector: both come in bursts, so "the rest" is what a request steadily costs.
const COMPILER =
  /compiler::|maglev|Maglev|turboshaft|Turboshaft|Zone::|ZoneList|CompilationJob|OptimizedCompilation|interpreter::BytecodeGenerator|v8::internal::Parser(Base)?[:<]|v8::internal::Scanner::/;
const MAJOR_GC = /MarkingVisitor|ConcurrentMarking|Sweeper|MarkCompact|MajorGC|IncrementalMarking|MarkingWorklist|MarkingBarrier/;
type Counts = Record<'rest' | 'compiler' | 'majorGc', number>;

/** Sums `callgrind_annotate --inclusive=no` output (self counts per function) into the categories, per request. */
function categorize(annotated: string): Counts {
  const c: Counts = { rest: 0, compiler: 0, majorGc: 0 };
  for (const m of annotated.matchAll(/^\s*([\d,]+) \([^)]*\)\s+(.*)$/gm)) {
    if (m[2]!.includes('PROGRAM TOTALS')) continue;
    const n = Number(m[1]!.replace(/,/g, '')) / REQUESTS;
    if (COMPILER.test(m[2]!)) c.compiler += n;
    else if (MAJOR_GC.test(m[2]!)) c.majorGc += n;
    else c.rest += n;
  }
  return c;
}

/**
 * `clients` callers on keep-alive connections, each sending its next request when its answer is read, until `n`
 * are answered; the connections stay open from one call to the next, so every window sees the same sockets.
 */
async function drive(agent: Agent, url: URL, payload: string, clients: number, n: number): Promise<number> {
  let left = n;
  let failed = 0;
  const one = () =>
    new Promise<void>((resolve) => {
      const fail = () => void (failed++, resolve());
      const req = request(url, { method: 'POST', agent, headers: { 'content-type': 'application/json', 'content-length': Buffer.byteLength(payload) } }, (res) => {
        if (res.statusCode !== 200) failed++;
        res.on('error', fail).on('end', resolve).resume();
      });
      req.on('error', fail).end(payload);
    });
  await Promise.all(Array.from({ length: clients }, async () => {
    while (left-- > 0) await one();
  }));
  return failed;
}

/** Per request, in the window with the median of the rest; and the rest of every window. */
async function count(server: 'bare proxy' | 'switchyard', mode: Mode, upstream: string, configPath: string): Promise<{ perRequest: Counts; windows: number[] }> {
  const dir = mkdtempSync(`${TMP_DIR}callgrind-`);
  const out = `${dir}/callgrind.out`;
  const under: RunUnder = { wrapper: ['valgrind', '--tool=callgrind', '--instr-atstart=no', '--smc-check=all-non-file', `--callgrind-out-file=${out}`], timeoutMs: 180_000 };
  const child = server === 'switchyard' ? await startGateway(configPath, under) : await startProxy(upstream, under);
  const control = (...a: string[]) => execFileSync('callgrind_control', [...a, String(child.pid)], { stdio: 'ignore' });
  const agent = new Agent({ keepAlive: true, maxSockets: CONNECTIONS });
  try {
    const url = new URL(`${child.url}/v1/chat/completions`);
    const payload = body(server === 'switchyard' ? 'chat' : 'sim-model', mode === 'stream');
    if (await drive(agent, url, payload, CONNECTIONS, WARMUP)) throw new Error(`${server} ${mode}: failed requests in the warm-up`);
    const dumps: number[] = [];
    for (let dump = 1, failed = 0; dumps.length < WINDOWS; dump++) {
      control('-i', 'on');
      const bad = await drive(agent, url, payload, CONNECTIONS, REQUESTS);
      control('-i', 'off');
      control('-d');
      if (bad === 0) dumps.push(dump);
      else if (++failed > 2) throw new Error(`${server} ${mode}: three windows with failed requests`);
      else process.stderr.write(`  ${server} ${mode}: ${bad} failed requests in a window: counting it again\n`);
    }
    const annotate = (d: number) => execFileSync('callgrind_annotate', ['--threshold=100', '--inclusive=no', `${out}.${d}`], { encoding: 'utf8', maxBuffer: 256 * 1024 * 1024 });
    const counted = dumps.map((d) => categorize(annotate(d)));
    const byRest = [...counted].sort((a, b) => a.rest - b.rest);
    return { perRequest: byRest[(byRest.length - 1) >> 1]!, windows: counted.map((c) => c.rest) };
  } finally {
    agent.destroy();
    // Killed, not asked to stop: a graceful stop under valgrind is slow, and its exit dump is not wanted.
    child.signal('SIGKILL');
    await child.stop();
    rmSync(dir, { recursive: true, force: true });
  }
}

let valgrind: string;
try {
  // Debian's valgrind package brings callgrind_control and callgrind_annotate with it.
  valgrind = execFileSync('valgrind', ['--version'], { encoding: 'utf8' }).trim();
} catch {
  process.stderr.write('valgrind is not installed: apt-get install -y --no-install-recommends valgrind\n');
  process.exit(2);
}
const src = srcVersion() ?? 'unknown';
const k = (v: number) => `${(v / 1000).toFixed(1)}k`;
const rows: string[][] = [];
try {
  const { urls, configPath } = await startUpstreams();
  for (const mode of modes) {
    let proxyRest = 0;
    for (const server of ['bare proxy', 'switchyard'] as const) {
      process.stderr.write(`counting ${server}, ${mode}...\n`);
      const { perRequest: r, windows } = await count(server, mode, urls.a.replace(/\/v1$/, ''), configPath);
      process.stderr.write(`  ${k(r.rest)} instructions per request (the rest; windows ${windows.map(k).join(', ')}), compiler ${k(r.compiler)}, major GC ${k(r.majorGc)}\n`);
      const ratio = server === 'switchyard' ? r.rest / proxyRest : undefined;
      proxyRest = r.rest;
      const verdict = ratio === undefined ? '-' : `≤ ${TARGET[mode].toFixed(2)}×: ${ratio <= TARGET[mode] ? 'met' : '**missed**'}`;
      const name = server === 'switchyard' ? '**switchyard**' : server;
      rows.push([mode, name, k(r.rest), k(r.compiler), k(r.majorGc), k(r.rest + r.compiler + r.majorGc), ratio ? `${ratio.toFixed(2)}×` : '-', verdict, windows.map(k).join(', '), `\`${src}\``]);
    }
  }
} finally {
  await cleanupAll();
}
// The other mode's rows of the last full count stay, with the src/ they counted.
const kept = [...(existsSync(FILE) ? readFileSync(FILE, 'utf8') : '').matchAll(/^\| (plain|stream) \| (.*) \|$/gm)].filter((m) => !modes.includes(m[1] as Mode));
rows.push(...kept.map((row) => [row[1]!, ...row[2]!.split(' | ')]));
writeFileSync(
  FILE,
  [
    '# Switchyard bench: instructions per request',
    '',
    `Command: \`npm run bench:instructions${args.length ? ` -- ${args.join(' ')}` : ''}\`, ${new Date().toISOString()}. ${machine()}, ${valgrind}.`,
    '',
    `Each server under callgrind: ${int(WARMUP)} requests of warm-up, then ${WINDOWS} windows of ${int(REQUESTS)} requests from ${CONNECTIONS} callers on the same keep-alive connections throughout, every thread counted; the table gives the window with the median of "the rest" (the steady per-request work: everything but V8's JIT compiler and major GC, which come in bursts). Upstream: the simulator. Not counted: the kernel, cache misses, waiting.${kept.length ? ' The other mode\'s rows are from the count before this one (their windows are listed).' : ''}`,
    '',
    table(
      ['mode', 'server', 'the rest', 'JIT compiler', 'major GC', 'all', 'the rest vs the bare proxy', 'target', 'the rest, every window', 'src/ at'],
      rows.sort((a, b) => a[0]!.localeCompare(b[0]!)),
    ),
    '',
  ].join('\n'),
);
process.stderr.write(`wrote ${FILE}\n`);
process.exit(0);
