import { execFileSync } from 'node:child_process';
import { describe, expect, it } from 'vitest';
import * as source from '../../src/index.js';

describe('the switchyard-llm package', () => {
  it('is importable by its name from the build, exporting exactly what src/index.ts lists', () => {
    // A separate node process resolves `switchyard-llm` through package.json `exports`, as a user's code would.
    const out = execFileSync(process.execPath, ['-e', "import('switchyard-llm').then((m) => console.log(JSON.stringify(Object.keys(m).sort())))"], {
      encoding: 'utf8',
    });
    expect(JSON.parse(out)).toEqual(Object.keys(source).sort());
  });

  it('ships type declarations for its entry', async () => {
    const { existsSync } = await import('node:fs');
    expect(existsSync(new URL('../../dist/index.d.ts', import.meta.url))).toBe(true);
  });
});
