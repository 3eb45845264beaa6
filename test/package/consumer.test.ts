import { execFile } from 'node:child_process';
import { mkdir, mkdtemp, readdir, readFile, rm, symlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startSimulator, type Simulator } from '../../src/simulator/index.js';

/*
 * A user's project, built from `npm pack` of this one: a strict TypeScript program written for openai-node
 * with only the constructor swapped, type-checked by TypeScript 5 and 7 with their default settings (the
 * package's own .d.ts included: no skipLibCheck) and run against the simulator. Installed without a
 * registry: the tarball is unpacked as npm would into node_modules/switchyard-llm, and every other package
 * (its dependencies, openai, zod, @types/node) is linked from this project's node_modules, a flat layout
 * like npm's (npm ci fills the cache with tarballs but not the metadata an offline `npm install` needs).
 */

const run = promisify(execFile);
const root = fileURLToPath(new URL('../..', import.meta.url));
const tsc5 = join(root, 'node_modules/typescript/bin/tsc');
const tsc7 = join(root, 'node_modules/typescript7/bin/tsc');

let dir: string;
let sim: Simulator;

beforeAll(async () => {
  sim = await startSimulator({ name: 'consumer-sim' });
  dir = await mkdtemp(join(tmpdir(), 'switchyard-consumer-'));
  // dist is built by `npm test` before vitest runs; packing must not rebuild it (prepare) mid-suite.
  const { stdout } = await run('npm', ['pack', '--ignore-scripts', '--json', '--pack-destination', dir], { cwd: root });
  const [packed] = JSON.parse(stdout) as { filename: string; files: { path: string }[] }[];
  const ours = JSON.parse(await readFile(join(root, 'package.json'), 'utf8')) as { dependencies: Record<string, string>; devDependencies: Record<string, string> };
  await writeFile(
    join(dir, 'package.json'),
    JSON.stringify({
      name: 'consumer',
      private: true,
      type: 'module',
      dependencies: {
        'switchyard-llm': `file:./${packed!.filename}`,
        openai: ours.dependencies.openai,
        zod: ours.dependencies.zod,
        '@types/node': ours.devDependencies['@types/node'],
      },
    }),
  );
  // Default settings but strict, and the library's declarations checked too.
  await writeFile(join(dir, 'tsconfig.json'), JSON.stringify({ compilerOptions: { strict: true, module: 'nodenext', target: 'es2022', skipLibCheck: false, outDir: 'out' }, include: ['app.ts'] }));
  const app = await readFile(fileURLToPath(new URL('./consumer-app.ts.txt', import.meta.url)), 'utf8');
  await writeFile(join(dir, 'app.ts'), app.replaceAll('__SIM_URL__', sim.url));
  const modules = join(dir, 'node_modules');
  await mkdir(join(modules, 'switchyard-llm'), { recursive: true });
  await run('tar', ['-xzf', join(dir, packed!.filename), '-C', join(modules, 'switchyard-llm'), '--strip-components=1']);
  for (const name of await readdir(join(root, 'node_modules'))) {
    if (name.startsWith('.') || name === 'switchyard-llm') continue;
    await symlink(join(root, 'node_modules', name), join(modules, name));
  }
}, 180_000);

afterAll(async () => {
  await sim?.close();
  if (dir) await rm(dir, { recursive: true, force: true });
});

/** tsc's complaints ('' when none); TypeScript 5 also emits the program, which the last test runs. */
const typeCheck = (tsc: string, emit: boolean) =>
  run(process.execPath, [tsc, '-p', 'tsconfig.json', ...(emit ? [] : ['--noEmit'])], { cwd: dir }).then(
    () => '',
    (e: { stdout?: string }) => e.stdout ?? String(e),
  );

describe('a consumer project built from npm pack', () => {
  it('ships the license, no source maps, and no sources it does not need', async () => {
    const { stdout } = await run('tar', ['-tzf', join(dir, (await run('ls', [dir])).stdout.split('\n').find((f) => f.endsWith('.tgz'))!)]);
    const files = stdout.split('\n');
    expect(files).toContain('package/LICENSE');
    expect(files.filter((f) => f.endsWith('.map'))).toEqual([]);
    expect(files.filter((f) => f.startsWith('package/src/'))).toEqual([]);
  });

  // Time limits are generous for a loaded machine: alone, the whole file takes about 40 s.
  it('type-checks an ordinary openai-node program on TypeScript 5 (and builds it)', async () => {
    expect(await typeCheck(tsc5, true)).toBe('');
  }, 180_000);

  it('type-checks it on TypeScript 7', async () => {
    expect(await typeCheck(tsc7, false)).toBe('');
  }, 180_000);

  it('runs it against the simulator: every call answers as with new OpenAI()', async () => {
    const { stdout } = await run(process.execPath, [join(dir, 'out/app.js')], { cwd: dir });
    const out = JSON.parse(stdout) as Record<string, unknown>;
    expect(out.create).toContain('Say hello');
    expect(out.withResponse).toEqual(['chat.completion', 200]);
    expect(out.asResponse).toBe('application/json');
    expect(out.stream).toBe(out.create);
    expect(out.parse).toEqual({ city: expect.any(String), celsius: 42 });
    expect(out.streamHelper).toBe(out.create);
    expect(out.runTools).toContain('consumer-sim');
    expect(out.embeddings).toEqual([16, 16]);
    expect(out.responses).toContain('Say hello');
    expect(out.responsesStream).toBe('response.completed');
    expect(out.responsesParse).toEqual({ city: expect.any(String), celsius: 42 });
    expect(out.models).toEqual(['gpt-4o-mini']);
    expect(out.error).toEqual([400, 'temperature', 'decimal_above_max_value']);
    expect(out.entryPoints).toEqual(['function', 'function', 'function', 'function']);
  }, 60_000);
});
