import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import OpenAI from 'openai';
import { afterEach, describe, expect, it } from 'vitest';
import { bannerLines } from '../../src/cli/banner.js';
import { main } from '../../src/cli/main.js';
import { startServe, type Served, type ServeOptions } from '../../src/cli/serve.js';
import { checkConfigFile } from '../../src/config/index.js';
import { createLogger } from '../../src/gateway/logging.js';
import { startSimulator, type Simulator } from '../../src/simulator/index.js';
import { captureIo } from './io.js';

const dir = mkdtempSync(join(tmpdir(), 'switchyard-serve-'));
const quietLogger = () =>
  createLogger({
    destination: new Writable({
      write(_c, _e, cb) {
        cb();
      },
    }),
  });

let served: Served | undefined;
let sim: Simulator | undefined;
afterEach(async () => {
  await served?.close(0);
  await sim?.close();
  served = undefined;
  sim = undefined;
});

async function serve(opts: ServeOptions): Promise<Served> {
  served = await startServe({ port: 0, logger: quietLogger(), demoTraffic: false, ...opts });
  return served;
}

describe('switchyard serve', () => {
  it('exit 2 listing every problem of a bad config, never a value', async () => {
    const bad = join(dir, 'bad.yaml');
    writeFileSync(bad, 'providers:\n  p: { baseURL: nope, apiKey: sk-canary-serve-0123456789 }\nendpoints:\n  e: { provider: q, model: "" }\n');
    const io = captureIo();
    expect(await main(['serve', '--config', bad, '--port', '0'], io)).toBe(2);
    expect(io.stderr()).toMatch(/providers\.p\.baseURL: /);
    expect(io.stderr()).toMatch(/endpoints\.e\.provider: /);
    expect(io.stderr()).toMatch(/endpoints\.e\.model: /);
    expect(io.stderr()).not.toContain('sk-canary');
  });

  it('usage errors exit 2; --help exits 0', async () => {
    const io = captureIo();
    expect(await main(['serve', '--port', 'eighty'], io)).toBe(2);
    expect(io.stderr()).toContain('--port: expected a port number');
    expect(await main(['serve', '--nope'], captureIo())).toBe(2);
    expect(await main(['launch'], captureIo())).toBe(2);
    const help = captureIo();
    expect(await main(['--help'], help)).toBe(0);
    expect(help.stdout()).toContain('switchyard <command>');
    const serveHelp = captureIo();
    expect(await main(['serve', '--help'], serveHelp)).toBe(0);
    expect(serveHelp.stdout()).toContain('--config FILE');
  });

  it('serves a config file, from --config or SWITCHYARD_CONFIG, with --host/--port overriding it', async () => {
    sim = await startSimulator({ name: 'cfg' });
    const file = join(dir, 'ok.yaml');
    writeFileSync(
      file,
      `server: { port: 1 }\nproviders:\n  sim: { baseURL: "${sim.url}" }\nendpoints:\n  one: { provider: sim, model: m }\nroutes:\n  chat: { endpoints: [one] }\n`,
    );
    const s = await serve({ env: { SWITCHYARD_CONFIG: file }, host: '127.0.0.1' });
    expect(s.mode).toBe('config');
    expect(s.configPath).toBe(file);
    expect(s.url).not.toMatch(/:1$/);
    const client = new OpenAI({ baseURL: `${s.url}/v1`, apiKey: 'x', maxRetries: 0 });
    const { response } = await client.chat.completions.create({ model: 'chat', messages: [{ role: 'user', content: 'hi' }] }).withResponse();
    expect(response.headers.get('x-switchyard-endpoint')).toBe('one');
    // The telemetry registry is what /metrics serves.
    const metrics = await (await fetch(`${s.url}/metrics`)).text();
    expect(metrics).toMatch(/switchyard_requests_total\{route="chat",outcome="success"\} 1/);
    expect(bannerLines(s).join('\n')).toContain(`${s.url}/v1/chat/completions`);
  });

  it('with no config and no OPENAI_API_KEY: the built-in demo on simulated upstreams', async () => {
    const s = await serve({ env: {} });
    expect(s.mode).toBe('demo');
    const client = new OpenAI({ baseURL: `${s.url}/v1`, apiKey: 'x', maxRetries: 0 });
    const models = await client.models.list();
    expect(models.data.map((m) => m.id)).toEqual(['chat', 'cross-provider', 'primary', 'fallback', 'claude', 'gemini']);
    const { data, response } = await client.chat.completions
      .create({ model: 'chat', messages: [{ role: 'user', content: 'hi' }] })
      .withResponse();
    expect(['primary', 'fallback']).toContain(response.headers.get('x-switchyard-endpoint'));
    expect(data.choices[0]!.message.content).toContain('Simulated answer');
    const banner = bannerLines(s).join('\n');
    expect(banner).toContain('built-in demo');
    expect(banner).toContain(`curl -s ${s.url}/v1/chat/completions`);
    expect(banner).toContain('/metrics');
    expect(banner).toContain('/admin/circuits');
  });

  it('with OPENAI_API_KEY and no config: chat over gpt-4o -> gpt-4o-mini, the key printed nowhere', async () => {
    const key = 'sk-canary-openai-0123456789abcdef';
    const s = await serve({ env: { OPENAI_API_KEY: key } });
    expect(s.mode).toBe('openai');
    const models = (await (await fetch(`${s.url}/v1/models`)).json()) as { data: { id: string; endpoints: { id: string }[] }[] };
    expect(models.data[0]).toMatchObject({ id: 'chat', endpoints: [{ id: 'gpt-4o' }, { id: 'gpt-4o-mini' }] });
    expect(s.config.providers.openai!.baseURL).toBe('https://api.openai.com/v1');
    const admin = await (await fetch(`${s.url}/admin/circuits`)).text();
    expect(admin).not.toContain(key);
    expect(JSON.stringify(models)).not.toContain(key);
    expect(bannerLines(s).join('\n')).not.toContain(key);
  });
});

describe('check validates exactly what serve runs', () => {
  // Set in neither the test's env nor process.env: a second substitution would fail on it.
  const UNSET = 'SWITCHYARD_TEST_NEVER_SET_22';

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

    const s = await serve({ configPath: file, env: {} });
    expect(s.config.endpoints.one?.model).toBe(`m-\${${UNSET}}`);
    const client = new OpenAI({ baseURL: `${s.url}/v1`, apiKey: 'x', maxRetries: 0 });
    await client.chat.completions.create({ model: 'chat', messages: [{ role: 'user', content: 'hi' }] });
    // What reached the provider is what check showed.
    const seen = (await (await fetch(`${sim.url}/models`)).json()) as { data: { id: string }[] };
    expect(seen.data.map((m) => m.id)).toEqual([`m-\${${UNSET}}`]);
  });
});
