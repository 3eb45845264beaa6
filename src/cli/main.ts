#!/usr/bin/env node
import { realpathSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { consoleOutput, UsageError, type Output } from './args.js';
import { CHECK_USAGE, runCheck } from './check.js';
import { runServe, SERVE_USAGE } from './serve.js';
import { runSimulate, SIMULATE_USAGE } from './simulate.js';

export const USAGE = `Usage: switchyard <command> [options]

Commands:
  serve [--config FILE] [--host H] [--port P]   run the OpenAI-compatible gateway
  check FILE                                    validate a config file (exit 0, or 2 listing every problem)
  simulate [--port P]... [--faults SPEC]        run fault-injecting OpenAI-compatible upstreams

With no --config (and no SWITCHYARD_CONFIG), serve runs a built-in demo on simulated upstreams, or,
when OPENAI_API_KEY is set, routes "chat" over gpt-4o -> gpt-4o-mini on OpenAI.

Run 'switchyard <command> --help' for a command's options.`;

const USAGES: Record<string, string> = { serve: SERVE_USAGE, check: CHECK_USAGE, simulate: SIMULATE_USAGE };

/**
 * Returns the exit status, or undefined when the command keeps running (a server): it then exits through
 * its own signal handling.
 */
export async function main(argv: string[], io: Output = consoleOutput): Promise<number | undefined> {
  const [command, ...rest] = argv;
  try {
    switch (command) {
      case 'serve':
        return await runServe(rest, io);
      case 'check':
        return await runCheck(rest, io);
      case 'simulate':
        return await runSimulate(rest, io);
      case undefined:
      case 'help':
      case '--help':
      case '-h':
        io.out(USAGE);
        return command === undefined ? 2 : 0;
      default:
        throw new UsageError(`unknown command '${command}'`);
    }
  } catch (e) {
    // parseArgs throws TypeErrors with a code for unknown or malformed options.
    const code = (e as { code?: unknown }).code;
    if (e instanceof UsageError || (typeof code === 'string' && code.startsWith('ERR_PARSE_ARGS'))) {
      io.err(`switchyard: ${(e as Error).message}`);
      io.err('');
      io.err((command && USAGES[command]) || USAGE);
      return 2;
    }
    throw e;
  }
}

function isEntryPoint(): boolean {
  const script = process.argv[1];
  if (!script) return false;
  try {
    // npm's bin links are symlinks: compare real paths.
    return realpathSync(script) === realpathSync(fileURLToPath(import.meta.url));
  } catch {
    return false;
  }
}

if (isEntryPoint()) {
  main(process.argv.slice(2)).then(
    (code) => {
      if (code !== undefined) process.exitCode = code;
    },
    (e: unknown) => {
      process.stderr.write(`switchyard: ${e instanceof Error ? e.message : String(e)}\n`);
      process.exit(1);
    },
  );
}
