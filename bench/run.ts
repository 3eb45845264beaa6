/*
 * The bench entry point.
 *   npm run bench                full run (about 15 minutes), writes bench/RESULTS.md
 *   npm run bench:quick          quick check that everything works (about 5 minutes), writes bench/RESULTS.quick.md
 *   npm run bench:instructions   instructions per request under callgrind, writes bench/INSTRUCTIONS.md
 * Options: --only=library,gateway,memory,failover,fleet,soak   --out=FILE
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import { fileURLToPath } from 'node:url';
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
const quick = args.includes('--quick');
const only = args.find((a) => a.startsWith('--only='))?.slice(7).split(',');
const here = fileURLToPath(new URL('.', import.meta.url));
const outFile = args.find((a) => a.startsWith('--out='))?.slice(6) ?? `${here}RESULTS${quick ? '.quick' : ''}.md`;

// [quick, full] for every parameter.
const both = {
  libraryPairs: [1_500, 8_000],
  libraryStreamPairs: [800, 4_000],
  gatewayDurationMs: [1_000, 1_500],
  gatewayInitialWarmupMs: [500, 2_000],
  gatewayRounds: [2, 10],
  memoryRequests: [10_000, 120_000],
  memoryLimitMs: [60_000, 170_000],
  failoverDurationMs: [2_500, 4_000],
  failoverRate: [40, 50],
  fleetP50Requests: [500, 2_000],
  soakDurationMs: [10_000, 45_000],
  soakConcurrency: [8, 16],
} as const;
const P = Object.fromEntries(Object.entries(both).map(([k, v]) => [k, v[quick ? 0 : 1]])) as { [K in keyof typeof both]: number };
const CONNECTIONS = [1, 32];

const log = (line: string) => process.stderr.write(`${line}\n`);
const loadAverage = () => os.loadavg().map((l) => l.toFixed(2)).join(' / ');
const want = (section: string) => !only || only.includes(section);

installSignalCleanup();
const script = process.env.npm_lifecycle_event;
const results: BenchResults = {
  command: script?.startsWith('bench') ? `npm run ${script}${only || args.some((a) => a.startsWith('--out')) ? ` -- ${args.filter((a) => a !== '--quick').join(' ')}` : ''}` : `npx tsx bench/run.ts ${args.join(' ')}`.trim(),
  quick,
  startedAt: new Date(),
  load: { start: loadAverage(), end: '' },
  params: { ...P, gatewayConnections: CONNECTIONS },
  errors: {},
};
log(`Switchyard bench (${quick ? 'quick' : 'full'}), load ${results.load.start}`);

async function section(name: string, fn: () => Promise<void>): Promise<void> {
  if (!want(name)) return;
  log(`\n== ${name} (load ${loadAverage()})`);
  try {
    await fn();
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
  await section('library', async () => void (results.library = await libraryOverhead({ pairs: P.libraryPairs, streamPairs: P.libraryStreamPairs, limitMs: 120_000, log })));
  await section('gateway', async () => {
    const o = { connections: CONNECTIONS, durationMs: P.gatewayDurationMs, warmupMs: 300, initialWarmupMs: P.gatewayInitialWarmupMs, rounds: P.gatewayRounds };
    results.gateway = await gatewayOverhead({ ...o, peerInstall, log });
  });
  await section('memory', async () => void (results.memory = await memoryRun({ requests: P.memoryRequests, connections: 32, limitMs: P.memoryLimitMs, log })));
  await section('failover', async () => void (results.failover = await failover({ durationMs: P.failoverDurationMs, rate: P.failoverRate, peerInstall, log })));
  await section('fleet', async () => void (results.fleet = await fleetBench({ p50Requests: P.fleetP50Requests })));
  await section('soak', async () => {
    results.soak = await runSoak({ durationMs: P.soakDurationMs, concurrency: P.soakConcurrency, maxRequests: 2_000_000, seed: 5, log });
    for (const v of results.soak.violations.slice(0, 10)) log(`  violation: ${v}`);
  });
  results.load.end = loadAverage();
  mkdirSync(`${here}.tmp`, { recursive: true });
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
