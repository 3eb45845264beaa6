import { describe, expect, it } from 'vitest';
import { parseSimulateArgs, startSimulators } from '../../src/cli/simulate.js';
import { main } from '../../src/cli/main.js';
import { waitFor } from '../gateway/helpers.js';
import { spawnCli } from '../gateway/spawn.js';
import { captureIo } from './io.js';

describe('switchyard simulate', () => {
  it('parses repeated --port, --ports lists, inline faults and a seed', () => {
    const a = parseSimulateArgs(['--port', '9001', '--ports', '9002,9003', '--faults', '{"statusRates":{"500":0.5}}', '--seed', '7']);
    expect(a.ports).toEqual([9001, 9002, 9003]);
    expect(a.faults).toEqual([{ statusRates: { '500': 0.5 } }]);
    expect(a.seed).toBe(7);
  });

  it('starts one upstream per port, faults per port when given per port', async () => {
    const sims = await startSimulators({ ports: [0, 0], faults: [{ always: { kind: 'status', status: 500 } }, {}] });
    try {
      const post = (url: string) =>
        fetch(`${url}/chat/completions`, {
          method: 'POST',
          headers: { 'content-type': 'application/json' },
          body: JSON.stringify({ model: 'm', messages: [{ role: 'user', content: 'hi' }] }),
        });
      expect((await post(sims[0]!.url)).status).toBe(500);
      expect((await post(sims[1]!.url)).status).toBe(200);
    } finally {
      await Promise.all(sims.map((s) => s.close()));
    }
  });

  it('exit 2 on a bad fault spec', async () => {
    const io = captureIo();
    expect(await main(['simulate', '--port', '0', '--faults', '{"hang": 7}'], io)).toBe(2);
    expect(io.stderr()).toContain('faults.hang');
    expect(await main(['simulate', '--faults', '/no/such/file.json'], captureIo())).toBe(2);
  });

  it('as a process: serves on every port given and exits 0 on SIGTERM', async () => {
    const p = spawnCli(['simulate', '--ports', '0,0', '--faults', '{"always":{"kind":"status","status":503}}', '--seed', '3']);
    await waitFor(() => (p.stdout().match(/listening on/g) ?? []).length === 2, 'two simulators', 30_000);
    const urls = [...p.stdout().matchAll(/listening on (http:\/\/\S+\/v1)/g)].map((m) => m[1]!);
    expect(new Set(urls).size).toBe(2);
    const res = await fetch(`${urls[1]}/chat/completions`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ model: 'm', messages: [{ role: 'user', content: 'hi' }] }),
    });
    expect(res.status).toBe(503);
    p.child.kill('SIGTERM');
    expect(await p.exited).toBe(0);
  }, 60_000);
});
