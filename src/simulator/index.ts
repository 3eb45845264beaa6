/**
 * A fault-injecting OpenAI-compatible provider for tests, the demo and benchmarks.
 * See faults.ts for what can be injected.
 */
export { startSimulator, closedPort, type Simulator, type SimulatorOptions } from './server.js';
export type { SimulatorStats } from './core.js';
export { parseFaultSpec, faultSpecSchema, type Fault, type FaultKind, type FaultSpec, type Outage } from './faults.js';
