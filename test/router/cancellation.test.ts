import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import type { Cancellation } from '../../src/endpoint/cancellation.js';
import { ask, rig, TRANSPORTS, useTransport, type Rig } from './helpers.js';

let r: Rig | undefined;
afterEach(async () => {
  await r?.close();
  r = undefined;
});

/** A caller's own Cancellation that outlives its requests (one per process, say), its callbacks in view. */
function shared(): Cancellation & { readonly callbacks: Set<() => void>; cancel(): void } {
  const callbacks = new Set<() => void>();
  let aborted = false;
  return {
    callbacks,
    get aborted() {
      return aborted;
    },
    onAbort: (fn) => (aborted ? fn() : void callbacks.add(fn)),
    offAbort: (fn) => void callbacks.delete(fn),
    cancel() {
      aborted = true;
      for (const fn of callbacks) fn();
    },
  };
}

describe.each(TRANSPORTS)('%s transport', (transport) => {
  beforeEach(() => useTransport(transport));

  it('a cancellation shared by many requests keeps no callback of those that ended, and still cancels the one in flight', async () => {
    r = await rig({ primary: { always: { kind: 'hang' } } });
    const cancellation = shared();
    const direct = { ...ask, model: 'fallback' };
    for (let i = 0; i < 3; i++) await r.router.dispatch(direct, { cancellation });
    for await (const _ of (await r.router.dispatch({ ...direct, stream: true }, { cancellation })).response) void _;
    await expect(r.router.dispatch({ ...direct, messages: [] }, { cancellation })).rejects.toMatchObject({ code: 'upstream_client_error' });
    expect(cancellation.callbacks.size).toBe(0);

    const hanging = r.router.dispatch({ ...ask, model: 'primary' }, { cancellation });
    await vi.waitFor(() => expect(r!.primary.stats().inFlight).toBe(1), { timeout: 5000 });
    expect(cancellation.callbacks.size).toBe(1);
    cancellation.cancel();
    await expect(hanging).rejects.toMatchObject({ code: 'cancelled' });
    expect(cancellation.callbacks.size).toBe(0);
  });
});
