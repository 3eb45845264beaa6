import OpenAI from 'openai';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { closedPort, startSimulator, type FaultSpec, type Simulator } from '../../src/simulator/index.js';

const opened: Simulator[] = [];
async function start(opts: Parameters<typeof startSimulator>[0] = {}) {
  const sim = await startSimulator(opts);
  opened.push(sim);
  return sim;
}
afterEach(async () => {
  await Promise.all(opened.splice(0).map((s) => s.close()));
});

const chatBody = JSON.stringify({ model: 'm', messages: [{ role: 'user', content: 'hi' }] });
const root = (sim: Simulator) => sim.url.replace(/\/v1$/, '');
const post = (sim: Simulator, body = chatBody, headers: Record<string, string> = {}) =>
  fetch(`${sim.url}/chat/completions`, { method: 'POST', body, headers: { 'content-type': 'application/json', ...headers } });

/** Status code of one chat request, or "conn" when the connection failed. */
async function outcome(sim: Simulator): Promise<number | 'conn'> {
  try {
    const res = await post(sim);
    await res.text();
    return res.status;
  } catch {
    return 'conn';
  }
}

describe('HTTP surface', () => {
  it('rejects a bad JSON body and a body with no messages with OpenAI-shaped 400s', async () => {
    const sim = await start();
    const bad = await post(sim, '{"model": ');
    expect(bad.status).toBe(400);
    expect(await bad.json()).toEqual({ error: { message: expect.any(String), type: 'invalid_request_error', param: 'body', code: null } });
    const noMessages = await post(sim, JSON.stringify({ model: 'm' }));
    expect((await noMessages.json()).error.param).toBe('messages');
    expect(sim.stats()).toMatchObject({ requests: 2, byResult: { bad_request: 2 } });
  });

  it('checks the API key when one is required', async () => {
    const sim = await start({ requireApiKey: 'secret' });
    const wrong = new OpenAI({ baseURL: sim.url, apiKey: 'nope', maxRetries: 0 });
    const right = new OpenAI({ baseURL: sim.url, apiKey: 'secret', maxRetries: 0 });
    const messages = [{ role: 'user' as const, content: 'hi' }];
    await expect(wrong.chat.completions.create({ model: 'm', messages })).rejects.toBeInstanceOf(OpenAI.AuthenticationError);
    await expect(wrong.models.list()).rejects.toBeInstanceOf(OpenAI.AuthenticationError);
    await expect(right.chat.completions.create({ model: 'm', messages })).resolves.toMatchObject({ object: 'chat.completion' });
    sim.setFaults({ requireApiKey: 'rotated' });
    await expect(right.chat.completions.create({ model: 'm', messages })).rejects.toBeInstanceOf(OpenAI.AuthenticationError);
    expect(sim.stats().byResult).toEqual({ unauthorized: 2, ok: 1 });
  });

  it('answers /healthz, 404 and 405', async () => {
    const sim = await start({ name: 'beta' });
    expect(await (await fetch(`${root(sim)}/healthz`)).json()).toEqual({ status: 'ok', name: 'beta' });
    expect((await fetch(`${root(sim)}/nope`)).status).toBe(404);
    expect((await fetch(`${sim.url}/chat/completions`)).status).toBe(405);
  });

  it('gives a port that refuses connections', async () => {
    const port = await closedPort();
    const client = new OpenAI({ baseURL: `http://127.0.0.1:${port}/v1`, apiKey: 'k', maxRetries: 0 });
    await expect(client.models.list()).rejects.toBeInstanceOf(OpenAI.APIConnectionError);
  });
});

describe('control API', () => {
  it('reads and replaces faults, reads and resets stats', async () => {
    const sim = await start();
    const ctl = `${root(sim)}/_control`;
    expect(await (await fetch(`${ctl}/faults`)).json()).toEqual({});
    const spec: FaultSpec = { always: { kind: 'status', status: 503 } };
    const put = await fetch(`${ctl}/faults`, { method: 'PUT', body: JSON.stringify(spec) });
    expect(put.status).toBe(200);
    expect(sim.faults).toEqual(spec);
    expect(await outcome(sim)).toBe(503);
    expect(await (await fetch(`${ctl}/stats`)).json()).toEqual({ requests: 1, byResult: { status_503: 1 }, streams: 0, inFlight: 0 });
    expect(await (await fetch(`${ctl}/reset`, { method: 'POST' })).json()).toMatchObject({ requests: 0 });
    expect(sim.stats().requests).toBe(0);
  });

  it('refuses a bad spec with a 400 naming the field, keeping the old one', async () => {
    const sim = await start({ faults: { hang: 0 } });
    const res = await fetch(`${root(sim)}/_control/faults`, { method: 'PUT', body: JSON.stringify({ hang: 2 }) });
    expect(res.status).toBe(400);
    expect((await res.json()).error.message).toMatch(/faults\.hang: .*got 2/);
    const notJson = await fetch(`${root(sim)}/_control/faults`, { method: 'PUT', body: '{' });
    expect(notJson.status).toBe(400);
    expect(sim.faults).toEqual({ hang: 0 });
  });

  it('setFaults throws a RangeError quoting the bad value', async () => {
    const sim = await start();
    expect(() => sim.setFaults({ statusRates: { '500': 1.5 } })).toThrow(RangeError);
    expect(() => sim.setFaults({ statusRates: { '500': 1.5 } })).toThrow(/faults\.statusRates\.500: .*got 1\.5/);
    expect(() => sim.setFaults({ always: { kind: 'status', status: 200 } })).toThrow(/faults\.always\.status: .*got 200/);
    await expect(startSimulator({ faults: { latencyMs: -1 } })).rejects.toThrow(RangeError);
  });
});

describe('determinism', () => {
  const spec: FaultSpec = { statusRates: { '500': 0.2, '429': 0.1 }, reset: 0.1, empty: 0.1 };

  async function run(seed: number, n = 20) {
    const sim = await start({ seed, faults: spec });
    const seq: Array<number | 'conn'> = [];
    for (let i = 0; i < n; i++) seq.push(await outcome(sim));
    return seq;
  }

  it('the same seed injects the same faults, another seed others', async () => {
    const [a, b, c] = await Promise.all([run(42), run(42), run(43)]);
    expect(a).toEqual(b);
    expect(a).not.toEqual(c);
    expect(new Set(a)).toEqual(new Set([200, 500, 429, 'conn']));
  });

  it('outage windows open and close on the injected clock, and restart at setFaults', async () => {
    let t = 1_000;
    const outage: FaultSpec = { outages: [{ afterMs: 100, durationMs: 50, fault: { kind: 'status', status: 503 } }] };
    const sim = await start({ now: () => t, faults: outage });
    const at = async (time: number) => ((t = time), outcome(sim));
    expect(await at(1_099)).toBe(200);
    expect(await at(1_100)).toBe(503);
    expect(await at(1_149)).toBe(503);
    expect(await at(1_150)).toBe(200);
    sim.setFaults({ outages: [{ afterMs: 0, durationMs: 10, everyMs: 100, fault: { kind: 'reset' } }] });
    expect(await at(1_150)).toBe('conn');
    expect(await at(1_165)).toBe(200);
    expect(await at(1_255)).toBe('conn');
    expect(sim.stats().byResult).toMatchObject({ status_503: 2, reset: 2, ok: 3 });
  });

  it('an outage overrides `always`', async () => {
    let t = 0;
    const sim = await start({
      now: () => t,
      faults: { always: { kind: 'empty' }, outages: [{ afterMs: 10, durationMs: 10, fault: { kind: 'status', status: 502 } }] },
    });
    expect(await outcome(sim)).toBe(200);
    t = 15;
    expect(await outcome(sim)).toBe(502);
  });
});

describe('close()', () => {
  /** Open sockets, servers and timers by kind; earlier tests' client sockets may still be winding down. */
  function handles(): Record<string, number> {
    const count: Record<string, number> = { TCPSocketWrap: 0, TCPServerWrap: 0, Timeout: 0 };
    for (const kind of process.getActiveResourcesInfo()) if (kind in count) count[kind]!++;
    return count;
  }

  it('ends hung and slow requests, and leaves no sockets or timers behind', async () => {
    const before = handles();
    const sim = await startSimulator({ faults: { always: { kind: 'hang' } } });
    const client = new OpenAI({ baseURL: sim.url, apiKey: 'k', maxRetries: 0 });
    const messages = [{ role: 'user' as const, content: 'hi' }];
    const hung = client.chat.completions.create({ model: 'm', messages }).catch((e: unknown) => e);
    const hungStream = client.chat.completions.create({ model: 'm', messages, stream: true }).catch((e: unknown) => e);
    await vi.waitFor(() => expect(sim.stats().inFlight).toBe(2));
    sim.setFaults({ firstTokenDelayMs: 60_000, latencyMs: 0 });
    const slow = await client.chat.completions.create({ model: 'm', messages, stream: true });
    await vi.waitFor(() => expect(sim.stats().inFlight).toBe(3));

    // close() ends what is in flight instead of waiting for it: the hang never ends and the first token is
    // 60 s away, so a close() that waited would not resolve within the test's timeout. No wall-clock bound.
    await sim.close();
    await sim.close(); // idempotent
    expect(await hung).toBeInstanceOf(OpenAI.APIConnectionError);
    expect(await hungStream).toBeInstanceOf(OpenAI.APIConnectionError);
    await expect((async () => { for await (const _ of slow); })()).rejects.toThrow();
    expect(sim.stats().inFlight).toBe(0);
    await vi.waitFor(() => {
      const after = handles();
      for (const kind of Object.keys(before)) expect(after[kind], kind).toBeLessThanOrEqual(before[kind]!);
    });
  });
});
