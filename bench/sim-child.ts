/*
 * Child process entry: simulated upstreams in a process of their own (for the overhead runs, where the
 * upstream must not share the load generator's event loop). argv[2...]: the simulators' names.
 */
import { startSimulator, type Simulator } from '../src/simulator/index.js';
import { childMain, probeSelf } from './procs.js';

const sims: Record<string, Simulator> = {};
for (const [i, name] of process.argv.slice(2).entries()) sims[name] = await startSimulator({ name, seed: 1 + i });

childMain(
  { urls: Object.fromEntries(Object.entries(sims).map(([n, s]) => [n, s.url])) },
  {
    probe: () => probeSelf(),
    stop: async () => void (await Promise.all(Object.values(sims).map((s) => s.close()))),
  },
);
