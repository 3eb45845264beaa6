import { parseFaultSpec, type Fault, type FaultSpec } from './faults.js';
import { pickFault, resultLabel } from './pick.js';
import { mulberry32, nextSeed, type Rng } from './random.js';
import { TimerSet } from './timers.js';

export interface SimulatorStats {
  /** Chat completion requests received, whatever became of them. */
  requests: number;
  /** Requests by what the simulator did: ok, status_500, hang, reset, malformed, empty, cut, not_json, slow_first_token, unauthorized, bad_request... */
  byResult: Record<string, number>;
  /** Chat completion requests that asked for `stream: true`. */
  streams: number;
  /** Chat completion requests not yet answered (hung ones included). */
  inFlight: number;
}

/** A bound on remembered model names, so a client inventing names cannot grow memory forever. */
const MAX_MODELS = 100;

/** The simulator's state, apart from sockets: the fault spec, its clock, the PRNG and the counters. */
export class SimulatorCore {
  readonly timers = new TimerSet();
  readonly models = new Set<string>();
  readonly #now: () => number;
  readonly #rng: Rng;
  readonly #defaultApiKey: string | undefined;
  #spec: FaultSpec;
  #installedAt: number;
  #ids = 0;
  #requestIds = 0;
  #stats: Omit<SimulatorStats, 'inFlight'> = { requests: 0, byResult: {}, streams: 0 };
  inFlight = 0;

  constructor(readonly name: string, spec: unknown, seed: number, now: () => number, defaultApiKey?: string) {
    this.#now = now;
    this.#rng = mulberry32(seed);
    this.#defaultApiKey = defaultApiKey;
    this.#spec = parseFaultSpec(spec);
    this.#installedAt = now();
  }

  get spec(): FaultSpec {
    return this.#spec;
  }

  /** Replaces the spec and restarts its outage schedule; throws RangeError on a bad spec. */
  setSpec(input: unknown): void {
    this.#spec = parseFaultSpec(input);
    this.#installedAt = this.#now();
  }

  get apiKey(): string | undefined {
    return this.#spec.requireApiKey ?? this.#defaultApiKey;
  }

  now(): number {
    return this.#now();
  }

  /** The fault for the next request, and a seed for that request's own jitter draws. */
  nextRequest(): { fault: Fault | undefined; seed: number } {
    const fault = pickFault(this.#spec, this.#now() - this.#installedAt, this.#rng);
    // Jitter draws come from a per-request generator, so concurrent streams interleaving their delays
    // cannot shift the fault sequence of later requests.
    return { fault, seed: nextSeed(this.#rng) };
  }

  /** The `x-request-id` of an answer, as OpenAI sends one with each. */
  nextRequestId(): string {
    return `req_${this.name}_${++this.#requestIds}`;
  }

  nextId(): string {
    return `chatcmpl-sim-${++this.#ids}`;
  }

  countRequest(): void {
    this.#stats.requests++;
  }

  countStream(): void {
    this.#stats.streams++;
  }

  record(result: string): void {
    this.#stats.byResult[result] = (this.#stats.byResult[result] ?? 0) + 1;
  }

  recordFault(fault: Fault | undefined): void {
    this.record(resultLabel(fault));
  }

  seeModel(model: string): void {
    if (this.models.size < MAX_MODELS) this.models.add(model);
  }

  stats(): SimulatorStats {
    return { ...this.#stats, byResult: { ...this.#stats.byResult }, inFlight: this.inFlight };
  }

  resetStats(): void {
    this.#stats = { requests: 0, byResult: {}, streams: 0 };
  }
}
