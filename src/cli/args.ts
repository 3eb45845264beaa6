import { formatProblem, type ConfigProblem } from '../errors/config-error.js';

/** A command-line mistake: printed with the command's usage, exit status 2. */
export class UsageError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'UsageError';
  }
}

export function parsePort(text: string, flag: string): number {
  const n = Number(text);
  if (!/^\d+$/.test(text.trim()) || !Number.isInteger(n) || n < 0 || n > 65535) {
    throw new UsageError(`${flag}: expected a port number from 0 to 65535`);
  }
  return n;
}

export function parseIntArg(text: string, flag: string): number {
  const n = Number(text);
  if (!/^-?\d+$/.test(text.trim()) || !Number.isSafeInteger(n)) throw new UsageError(`${flag}: expected an integer`);
  return n;
}

/** Where human-facing lines go; stdout is left to the JSON log lines. */
export interface Output {
  out: (line: string) => void;
  err: (line: string) => void;
}

export const consoleOutput: Output = {
  out: (line) => process.stdout.write(`${line}\n`),
  err: (line) => process.stderr.write(`${line}\n`),
};

/** Every problem of an invalid configuration, one per line under a header naming where it came from. */
export function reportProblems(io: Output, where: string, problems: readonly ConfigProblem[]): void {
  io.err(`${where}: invalid configuration, ${problems.length} problem${problems.length === 1 ? '' : 's'}:`);
  for (const p of problems) io.err(`  ${formatProblem(p)}`);
}
