import { parseArgs } from 'node:util';
import { checkConfigFile } from '../config/index.js';
import { consoleOutput, reportProblems, UsageError, type Output } from './args.js';

export const CHECK_USAGE = `Usage: switchyard check FILE

Validates a configuration file (YAML or JSON, \${ENV} references substituted from the environment) the
same way 'serve' does. Exit status 0 when it is valid; 2 with every problem listed, each with its path.
Values are never printed: a problem names where it is, not what was there.`;

export async function runCheck(argv: string[], io: Output = consoleOutput): Promise<number> {
  const { values, positionals } = parseArgs({
    args: argv,
    options: { help: { type: 'boolean', short: 'h' } },
    allowPositionals: true,
    strict: true,
  });
  if (values.help) {
    io.out(CHECK_USAGE);
    return 0;
  }
  if (positionals.length !== 1) throw new UsageError(positionals.length ? 'check takes one FILE' : 'check needs a FILE');
  const file = positionals[0]!;
  const result = await checkConfigFile(file, { env: process.env });
  if (result.ok) {
    const c = result.config;
    const n = (o: object, word: string) => `${Object.keys(o).length} ${word}${Object.keys(o).length === 1 ? '' : 's'}`;
    io.out(`${file}: ok (${n(c.providers, 'provider')}, ${n(c.endpoints, 'endpoint')}, ${n(c.routes, 'route')})`);
    return 0;
  }
  reportProblems(io, file, result.problems);
  return 2;
}
