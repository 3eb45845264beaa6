import { execFile } from 'node:child_process';
import { existsSync, rmSync } from 'node:fs';
import { fileURLToPath, pathToFileURL } from 'node:url';

/*
 * Overhead is measured on Switchyard as shipped: the JavaScript `tsc` emits (what `npm run build` puts in
 * dist/), run by plain node, not the TypeScript sources through tsx. The bench compiles src/ into its own
 * scratch folder (bench/.tmp/dist) so that it never touches the project's dist/.
 */

const ROOT = fileURLToPath(new URL('..', import.meta.url));
export const DIST = fileURLToPath(new URL('./.tmp/dist/', import.meta.url));

let built: Promise<void> | undefined;

export function ensureBuild(): Promise<void> {
  built ??= (async () => {
    rmSync(DIST, { recursive: true, force: true });
    await new Promise<void>((resolve, reject) => {
      execFile(
        process.execPath,
        [`${ROOT}node_modules/typescript/bin/tsc`, '-p', `${ROOT}tsconfig.build.json`, '--outDir', DIST, '--declaration', 'false', '--sourceMap', 'false'],
        { cwd: ROOT, timeout: 180_000, maxBuffer: 10 * 1024 * 1024 },
        // tsc emits even with type errors; only a missing output is fatal.
        (err, stdout) => (existsSync(`${DIST}cli/serve.js`) ? resolve() : reject(new Error(`tsc produced no output: ${err?.message ?? ''} ${stdout.slice(0, 500)}`))),
      );
    });
  })();
  return built;
}

/** A module of the compiled build, e.g. importDist<typeof import('../src/router/router.js')>('router/router.js'). */
export async function importDist<T>(path: string): Promise<T> {
  await ensureBuild();
  return (await import(pathToFileURL(`${DIST}${path}`).href)) as T;
}
