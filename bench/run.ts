/*
 * The bench entry point.
 *   npm run bench                full run (about 15 minutes), writes bench/RESULTS.md
 *   npm run bench:quick          quick check that everything works (about 5 minutes), writes bench/RESULTS.quick.md
 *   npm run bench:instructions   instructions per request under callgrind, writes bench/INSTRUCTIONS.md
 * Options: --only=library,gateway,memory,failover,fleet,soak   --out=FILE
 */
import { writeFileSync } from 'node:fs';
import os from 'node:os';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { failover } from './failover/index.js';
import { fleetBench } from './failover/fleet.js';
import { memoryRun } from './memory.js';
import { libraryOverhead } from './overhead-library.js';
import { gatewayOverhead } from './overhead-gateway.js';
import { ensurePeer, type PeerInstall } from './peer.js';
import { cleanupAll, installSignalCleanup } from './procs.js';
import { renderReport, type BenchResults } from './report.js';
import { runSoak } from '../test/soak/harness/index.js';

const args = process.argv.slice(2);
const { values: opt } = parseArgs({ options: { quick: { type: 'boolean', default: false }, only: { type: 'string' }, out: { type: 'string' } } });
const { quick } = opt;
const only = opt.only?.split(',');
const outFile = opt.out ?? fileURLToPath(new URL(`./RESULTS${quick ? '.quick' : ''}.md`, import.meta.url));

/** Every section's parameters; `q(quick, full)` where the quick run uses less. */
const q = (quickValue: number, full: number) => (quick ? quickValue : full);
const P = {
  library: { pairs: q(1_500, 8_000), streamPairs: q(800, 4_000), limitMs: 120_000 },
  gateway: { connections: [1, 32], durationMs: q(1_000, 1_500), warmupMs: 300, initialWarmupMs: q(500, 2_000), rounds: q(2, 10) },
  memory: { requests: q(10_000, 120_000), connections: 32, limitMs: q(60_000, 170_000) },
  failover: { durationMs: q(2_500, 4_000), rate: q(40, 50) },
  fleet: { p50Requests: q(500, 2_000) },
  soak: { durationMs: q(10_000, 45_000), concurrency: q(8, 16), maxRequests: 2_000_000, seed: 5 },
};

const log = (line: string) => process.stderr.write(`${line}\n`);
const loadAverage = () => os.loadavg().map((l) => l.toFixed(2)).join(' / ');
const want = (section: string) => !only || only.includes(section);

installSignalCleanup();
const script = process.env.npm_lifecycle_event;
const results: BenchResults = {
  command: script?.startsWith('bench') ? `npm run ${script}${only || opt.out ? ` -- ${args.filter((a) => a !== '--quick').join(' ')}` : ''}` : `npx tsx bench/run.ts ${args.join(' ')}`.trim(),
  quick,
  startedAt: new Date(),
  load: { start: loadAverage(), end: '' },
  params: P,
  errors: {},
};
log(`Switchyard bench (${quick ? 'quick' : 'full'}), load ${results.load.start}`);

/** One section's result, unless --only leaves it out or it fails (then the report says why). */
async function section<T>(name: string, fn: () => Promise<T>): Promise<T | undefined> {
  if (!want(name)) return undefined;
  log(`\n== ${name} (load ${loadAverage()})`);
  try {
    return await fn();
  } catch (e) {
    results.errors[name] = e instanceof Error ? e.message.split('\n').slice(0, 3).join(' ') : String(e);
    log(`  ${name} failed: ${e instanceof Error ? (e.stack ?? e.message) : String(e)}`);
  } finally {
    await cleanupAll();
  }
}

try {
  const peerInstall: PeerInstall = want('gateway') || want('failover') ? await ensurePeer(log) : { ok: false, reason: 'not needed' };
  if (!peerInstall.ok) log(`peer not available: ${peerInstall.reason}`);
  results.library = await section('library', () => libraryOverhead({ ...P.library, log }));
  results.gateway = await section('gateway', () => gatewayOverhead({ ...P.gateway, peerInstall, log }));
  results.memory = await section('memory', () => memoryRun({ ...P.memory, log }));
  results.failover = await section('failover', () => failover({ ...P.failover, peerInstall, log }));
  results.fleet = await section('fleet', () => fleetBench(P.fleet));
  // The soak logs its violation count; the report lists the first violations.
  results.soak = await section('soak', () => runSoak({ ...P.soak, log }));
  results.load.end = loadAverage();
  writeFileSync(outFile, renderReport(results));
  log(`\nwrote ${outFile} (${((Date.now() - results.startedAt.getTime()) / 60000).toFixed(1)} min)`);
} catch (e) {
  log(`bench failed: ${e instanceof Error ? (e.stack ?? e.message) : String(e)}`);
  process.exitCode = 1;
} finally {
  await cleanupAll();
  // Anything still holding the event loop (a stuck socket in a library) must not keep `npm run bench` alive.
  setTimeout(() => process.exit(), 2_000).unref();
}
