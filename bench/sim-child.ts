/*
 * Child process entry: simulated upstreams in a process of their own (for the overhead runs, where the
 * upstream must not share the load generator's event loop). argv[2]: JSON { names: string[], faults?: FaultSpec }.
 */
import { startSimulator, type FaultSpec, type Simulator } from '../src/simulator/index.js';
import { childMain, probeSelf } from './procs.js';

const opts = JSON.parse(process.argv[2] ?? '{}') as { names?: string[]; faults?: FaultSpec; seed?: number };
const sims: Record<string, Simulator> = {};
for (const [i, name] of (opts.names ?? ['sim']).entries()) {
  sims[name] = await startSimulator({ name, faults: opts.faults ?? {}, seed: (opts.seed ?? 1) + i });
}

childMain(
  { urls: Object.fromEntries(Object.entries(sims).map(([n, s]) => [n, s.url])) },
  {
    setFaults: ({ name, faults }: { name: string; faults: FaultSpec }) => sims[name]!.setFaults(faults),
    stats: () => Object.fromEntries(Object.entries(sims).map(([n, s]) => [n, s.stats()])),
    resetStats: () => Object.values(sims).forEach((s) => s.resetStats()),
    probe: () => probeSelf(),
    stop: async () => void (await Promise.all(Object.values(sims).map((s) => s.close()))),
  },
);
