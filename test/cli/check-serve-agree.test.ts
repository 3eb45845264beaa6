import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import OpenAI from 'openai';
import { afterEach, describe, expect, it } from 'vitest';
import { startServe, type Served } from '../../src/cli/serve.js';
import { checkConfigFile } from '../../src/config/index.js';
import { createLogger } from '../../src/gateway/logging.js';
import { startSimulator, type Simulator } from '../../src/simulator/index.js';

const dir = mkdtempSync(join(tmpdir(), 'switchyard-check-serve-'));
const quiet = () => createLogger({ destination: new Writable({ write: (_c, _e, cb) => cb() }) });
// Set in neither the test's env nor process.env: a second substitution would fail on it.
const UNSET = 'SWITCHYARD_TEST_NEVER_SET_22';

let served: Served | undefined;
let sim: Simulator | undefined;
afterEach(async () => {
  await served?.close(0);
  await sim?.close();
  served = undefined;
  sim = undefined;
});

describe('check validates exactly what serve runs', () => {
  it('a `$${` escape: check and serve both see the literal `${NAME}`, substituted once', async () => {
    expect(process.env[UNSET]).toBeUndefined();
    sim = await startSimulator({ name: 'escape' });
    const file = join(dir, 'escape.yaml');
    writeFileSync(
      file,
      `providers:\n  sim: { baseURL: "${sim.url}" }\nendpoints:\n  one: { provider: sim, model: "m-$\${${UNSET}}" }\nroutes:\n  chat: { endpoints: [one] }\n`,
    );
    const checked = await checkConfigFile(file, { env: {} });
    expect(checked.ok && checked.config.endpoints.one?.model).toBe(`m-\${${UNSET}}`);

    served = await startServe({ configPath: file, env: {}, port: 0, logger: quiet(), demoTraffic: false });
    expect(served.config.endpoints.one?.model).toBe(`m-\${${UNSET}}`);
    const client = new OpenAI({ baseURL: `${served.url}/v1`, apiKey: 'x', maxRetries: 0 });
    await client.chat.completions.create({ model: 'chat', messages: [{ role: 'user', content: 'hi' }] });
    // What reached the provider is what check showed.
    const seen = (await (await fetch(`${sim.url}/models`)).json()) as { data: { id: string }[] };
    expect(seen.data.map((m) => m.id)).toEqual([`m-\${${UNSET}}`]);
  });
});
