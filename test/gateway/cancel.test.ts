import { afterEach, describe, expect, it } from 'vitest';
import { HELLO, startStack, waitFor, type Stack } from './helpers.js';

let s: Stack | undefined;
afterEach(async () => {
  await s?.close();
  s = undefined;
});

/**
 * The client aborts while the primary hangs: the request ends at once as cancelled, and the upstream call is
 * watched until its own timeout (the provider has sent nothing), where it ends and is charged as a hang.
 */
async function abortWhileUpstreamHangs(stack: Stack, stream: boolean): Promise<void> {
  const controller = new AbortController();
  const pending = stack
    .client()
    .chat.completions.create({ model: 'chat', messages: HELLO, stream }, { signal: controller.signal })
    .catch((e: unknown) => e);
  await waitFor(() => stack.sims.primary!.stats().inFlight === 1, 'the upstream request to start');
  controller.abort();
  await pending;
  await waitFor(() => stack.ends.length === 1, 'request:end');
  expect(stack.ends[0]!.result.outcome).toBe('cancelled');
  await waitFor(() => stack.sims.primary!.stats().inFlight === 0, 'the upstream request to end at its timeout');
}

/** The primary answers nothing: its attempts time out at 300 ms, the client gives up before. */
const HANGING = { primary: { always: { kind: 'hang' } }, fallback: {} } as const;

describe('client disconnect', () => {
  it('mid-stream: aborts the upstream attempt, counts as cancelled, leaves the circuit alone', async () => {
    // A long stream: 200 chunks, 50 ms apart.
    s = await startStack({ upstreams: { primary: { chunks: 200, chunkDelayMs: 50 }, fallback: {} } });
    const stack = s;
    const controller = new AbortController();
    const stream = await stack
      .client()
      .chat.completions.create({ model: 'chat', messages: HELLO, stream: true }, { signal: controller.signal });
    let received = 0;
    for await (const chunk of stream) {
      if (chunk.choices[0]?.delta?.content) received++;
      if (received === 2) break; // break: the SDK aborts its request, closing the connection.
    }
    controller.abort();

    // The simulator sees its socket close: nothing is left streaming upstream.
    await waitFor(() => stack.sims.primary!.stats().inFlight === 0, 'the upstream request to end');
    await waitFor(() => stack.ends.length === 1, 'request:end');
    expect(stack.ends[0]!.result.outcome).toBe('cancelled');
    const circuit = stack.router.circuits().find((c) => c.endpoint === 'primary')!;
    expect(circuit.state).toBe('closed');
    expect(circuit.window.failures).toBe(0);
    expect(stack.sims.fallback!.stats().requests).toBe(0);

    await waitFor(() => stack.logs.some((l) => l.msg === 'request' && l.path === '/v1/chat/completions'), 'the request log line');
    const line = stack.logs.find((l) => l.msg === 'request' && l.path === '/v1/chat/completions')!;
    expect(line).toMatchObject({ outcome: 'cancelled', route: 'chat', endpoint: 'primary', stream: 'cancelled' });
    expect(stack.gateway.inFlight()).toBe(0);
    const metrics = await (await fetch(`${stack.url}/metrics`)).text();
    expect(metrics).toMatch(/switchyard_requests_total\{route="chat",outcome="cancelled"\} 1/);
  });

  it('before the first token: nothing falls back; the silent primary is charged at its own timeout', async () => {
    s = await startStack({ upstreams: HANGING, endpoints: { primary: { timeoutMs: 300 } } });
    const stack = s;
    await abortWhileUpstreamHangs(stack, true);
    expect(stack.router.circuits().find((c) => c.endpoint === 'primary')!.window.failures).toBe(1);
    expect(stack.sims.fallback!.stats().requests).toBe(0);
  });

  it('a plain request: the same', async () => {
    s = await startStack({ upstreams: { primary: HANGING.primary }, endpoints: { primary: { timeoutMs: 300 } } });
    const stack = s;
    await abortWhileUpstreamHangs(stack, false);
    expect(stack.router.circuits()[0]!.window.failures).toBe(1);
  });
});
