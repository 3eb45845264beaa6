import { existsSync, readFileSync } from 'node:fs';
import { parseArgs } from 'node:util';
import { parse as parseYaml } from 'yaml';
import { parseFaultSpec, startSimulator, type FaultSpec, type Simulator } from '../simulator/index.js';
import { consoleOutput, parseIntArg, parsePort, UsageError, type Output } from './args.js';

export const SIMULATE_USAGE = `Usage: switchyard simulate [--host H] [--port P]... [--ports P1,P2,...] [--faults JSON-or-FILE]... [--seed N] [--name NAME]

Starts fault-injecting OpenAI-compatible upstreams (POST /v1/chat/completions, JSON and SSE).

  --host H            interface to bind (default 127.0.0.1)
  --port P            a port to serve on; repeat for several upstreams (default 9001; 0 = any free port)
  --ports LIST        several ports at once, comma-separated
  --faults SPEC       a fault spec as inline JSON, or a JSON/YAML file; one for all ports, or one per port
                      in port order. Example: '{"statusRates":{"500":0.3},"latencyMs":200}'
  --seed N            PRNG seed (upstream i gets N+i): the same seed and request order inject the same faults
  --name NAME         name shown in answers and /healthz (upstream i gets NAME-i when there are several)

Runtime control per upstream: GET/PUT /_control/faults, GET /_control/stats, POST /_control/reset.`;

/** Inline JSON when it looks like JSON, else a file path (JSON or YAML). */
export function readFaults(arg: string): FaultSpec {
  const text = arg.trim();
  let raw: unknown;
  if (text.startsWith('{')) {
    try {
      raw = JSON.parse(text);
    } catch {
      throw new UsageError('--faults: not valid JSON (pass inline JSON or a file path)');
    }
  } else {
    if (!existsSync(arg)) throw new UsageError(`--faults: no such file: ${arg}`);
    try {
      raw = parseYaml(readFileSync(arg, 'utf8'));
    } catch {
      throw new UsageError(`--faults: ${arg} is not valid JSON or YAML`);
    }
  }
  try {
    return parseFaultSpec(raw);
  } catch (e) {
    throw new UsageError(e instanceof Error ? e.message : String(e));
  }
}

export interface SimulateOptions {
  host?: string;
  ports?: number[];
  faults?: FaultSpec[];
  seed?: number;
  name?: string;
}

export async function startSimulators(opts: SimulateOptions): Promise<Simulator[]> {
  const ports = opts.ports?.length ? opts.ports : [9001];
  const faults = opts.faults ?? [];
  if (faults.length > 1 && faults.length !== ports.length) {
    throw new UsageError(`--faults: given ${faults.length} times for ${ports.length} ports (give one, or one per port)`);
  }
  const sims: Simulator[] = [];
  try {
    for (const [i, port] of ports.entries()) {
      const name = opts.name ? (ports.length > 1 ? `${opts.name}-${i + 1}` : opts.name) : `sim-${i + 1}`;
      sims.push(
        await startSimulator({
          host: opts.host ?? '127.0.0.1',
          port,
          faults: faults[faults.length > 1 ? i : 0] ?? {},
          ...(opts.seed !== undefined ? { seed: opts.seed + i } : {}),
          name,
        }),
      );
    }
  } catch (e) {
    await Promise.all(sims.map((s) => s.close()));
    throw e;
  }
  return sims;
}

export function parseSimulateArgs(argv: string[]): SimulateOptions & { help: boolean } {
  const { values } = parseArgs({
    args: argv,
    options: {
      host: { type: 'string' },
      port: { type: 'string', multiple: true },
      ports: { type: 'string', multiple: true },
      faults: { type: 'string', multiple: true },
      seed: { type: 'string' },
      name: { type: 'string' },
      help: { type: 'boolean', short: 'h' },
    },
    allowPositionals: false,
    strict: true,
  });
  const ports = [
    ...(values.port ?? []).map((p) => parsePort(p, '--port')),
    ...(values.ports ?? []).flatMap((list) => list.split(',').filter(Boolean).map((p) => parsePort(p, '--ports'))),
  ];
  return {
    help: values.help ?? false,
    ...(values.host !== undefined ? { host: values.host } : {}),
    ports,
    faults: (values.faults ?? []).map(readFaults),
    ...(values.seed !== undefined ? { seed: parseIntArg(values.seed, '--seed') } : {}),
    ...(values.name !== undefined ? { name: values.name } : {}),
  };
}

/** Runs until SIGTERM/SIGINT, then closes every upstream and exits 0. */
export async function runSimulate(argv: string[], io: Output = consoleOutput): Promise<number | undefined> {
  const opts = parseSimulateArgs(argv);
  if (opts.help) {
    io.out(SIMULATE_USAGE);
    return 0;
  }
  const sims = await startSimulators(opts);
  for (const s of sims) {
    const base = s.url.replace(/\/v1$/, '');
    io.out(`simulator listening on ${s.url}  (faults: ${JSON.stringify(s.faults)}; control: ${base}/_control/faults)`);
    io.out(`  also as anthropic (type: anthropic, baseURL ${s.url}), gemini (baseURL ${s.geminiUrl}), azure (baseURL ${s.azureUrl})`);
  }
  const stop = () => {
    void Promise.all(sims.map((s) => s.close())).then(() => process.exit(0));
  };
  process.once('SIGTERM', stop);
  process.once('SIGINT', stop);
  return undefined;
}
