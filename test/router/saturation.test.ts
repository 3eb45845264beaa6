import type { ChatCompletionChunk } from 'openai/resources/chat/completions';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { CancelSource } from '../../src/endpoint/cancellation.js';
import { isRouteUnavailableError } from '../../src/index.js';
import { ask, rig, TRANSPORTS, useTransport, type Rig } from './helpers.js';

/*
 * `maxConcurrent`: an endpoint with that many attempts in flight is skipped at once, as an open circuit is,
 * so a provider that hangs holds at most that many callers before its circuit trips. Real simulators over
 * real HTTP; nothing here waits on a timeout: the hung attempts are cancelled by the test.
 */

let r: Rig | undefined;
afterEach(async () => {
  await r?.close();
  r = undefined;
});

const circuit = (id: string) => r!.router.circuits().find((c) => c.endpoint === id)!;
const skips = () => r!.events.filter((e) => e.name === 'skip').map((e) => e.args.slice(1, 3));

describe.each(TRANSPORTS)('%s transport', (transport) => {
  beforeEach(() => useTransport(transport));

  it('a hanging primary holds only maxConcurrent callers; the rest go straight to the fallback', async () => {
    vi.useFakeTimers({ shouldAdvanceTime: true });
    r = await rig({ primary: { always: { kind: 'hang' } }, endpoint: { maxConcurrent: 2 } });
    const cancel = new CancelSource();
    const hung = [0, 1].map(() => r!.router.dispatch(ask, { cancellation: cancel }).catch((e: unknown) => e));
    await vi.waitFor(() => expect(r!.primary.stats().inFlight).toBe(2));
    expect(circuit('primary')).toMatchObject({ inFlight: 2, maxConcurrent: 2 });

    for (let i = 0; i < 5; i++) expect(await r.router.dispatch(ask)).toMatchObject({ endpoint: 'fallback', attempts: 1 });
    expect(r.primary.stats().requests).toBe(2);
    expect(skips()).toEqual(Array(5).fill(['primary', 'saturated']));

    // The slots come back as the hung attempts end, however they end: cancelled by their callers, they are
    // watched to their own timeout (the provider has sent nothing), and end there.
    cancel.cancel();
    await Promise.all(hung);
    await vi.advanceTimersByTimeAsync(10_000);
    expect(circuit('primary').inFlight).toBe(0);
    r.primary.setFaults({});
    expect(await r.router.dispatch(ask)).toMatchObject({ endpoint: 'primary' });
  });

  it('a stream holds its slot until it ends, not only until its first chunk', async () => {
    r = await rig({ primary: { chunks: 3 }, endpoint: { maxConcurrent: 1 } });
    const first = await r.router.dispatch({ ...ask, stream: true });
    expect(first.endpoint).toBe('primary');
    const it = (first.response as AsyncIterable<ChatCompletionChunk>)[Symbol.asyncIterator]();
    await it.next();
    expect(circuit('primary').inFlight).toBe(1);
    expect(await r.router.dispatch(ask)).toMatchObject({ endpoint: 'fallback' });
    while (!(await it.next()).done);
    expect(circuit('primary').inFlight).toBe(0);
    expect(await r.router.dispatch(ask)).toMatchObject({ endpoint: 'primary' });
  });

  it('every endpoint saturated: RouteUnavailableError at once, naming each endpoint and why', async () => {
    r = await rig({
      primary: { always: { kind: 'hang' } },
      fallback: { always: { kind: 'hang' } },
      config: {
        endpoints: {
          primary: { provider: 'p1', model: 'model-a', maxConcurrent: 1 },
          fallback: { provider: 'p2', model: 'model-b', maxConcurrent: 1 },
        },
      },
    });
    const cancel = new CancelSource();
    const hung = [r.router.dispatch({ ...ask, model: 'primary' }, { cancellation: cancel }), r.router.dispatch({ ...ask, model: 'fallback' }, { cancellation: cancel })].map((p) =>
      p.catch((e: unknown) => e),
    );
    await vi.waitFor(() => expect(r!.primary.stats().inFlight + r!.fallback.stats().inFlight).toBe(2));
    const before = Date.now();
    const e = await r.router.dispatch(ask).catch((x: unknown) => x);
    expect(isRouteUnavailableError(e)).toBe(true);
    expect(e).toMatchObject({
      skipped: [
        { endpoint: 'primary', reason: 'saturated' },
        { endpoint: 'fallback', reason: 'saturated' },
      ],
      attempts: [],
    });
    expect((e as Error).message).toContain('primary: at its maxConcurrent attempts in flight; fallback: at its maxConcurrent attempts in flight');
    expect((e as { retryAt: number }).retryAt).toBeGreaterThanOrEqual(before + 1_000);
    cancel.cancel();
    await Promise.all(hung);
  });
});
