import { createServer, type ServerResponse } from 'node:http';
import { APIUserAbortError } from 'openai';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { CancelSource } from '../../src/endpoint/cancellation.js';
import { nativeTransport } from '../../src/endpoint/native-transport.js';

/*
 * A file of its own: undici keeps one module-wide tick timer for its timeouts, made on first use. Here that
 * first use is under fake timers, so advancing the clock drives undici's timeouts too.
 */

const body = { model: 'm', messages: [{ role: 'user' as const, content: 'hi' }], stream: false as const };

afterEach(() => {
  vi.useRealTimers();
});

describe('native transport: no time limit of its own', () => {
  // The router times every attempt and request (timeoutMs, deadlineMs...), which may be set above undici's
  // default 300 s header and body limits; those must not cut a slow answer first as a connection error.
  it('leaves a call that waits longer than 300 s for its answer to the caller to cancel', async () => {
    const held: ServerResponse[] = [];
    const server = createServer((_req, res) => void held.push(res));
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    const baseURL = `http://127.0.0.1:${(server.address() as { port: number }).port}/v1`;
    vi.useFakeTimers({ toFake: ['setTimeout', 'clearTimeout', 'setInterval', 'clearInterval', 'Date', 'performance'] });
    const transport = nativeTransport({ baseURL });
    const cancel = new CancelSource();
    let settled: unknown = 'pending';
    const call = transport.complete(body, cancel).then(
      (v) => (settled = v),
      (e: unknown) => (settled = e),
    );
    // The request reaches the server over real sockets; then 10 minutes pass on undici's clock.
    await vi.waitFor(() => expect(held).toHaveLength(1), { interval: 5, timeout: 5_000 });
    await vi.advanceTimersByTimeAsync(600_000);
    expect(settled).toBe('pending');
    cancel.cancel();
    await call;
    expect(settled).toBeInstanceOf(APIUserAbortError);
    transport.close();
    server.closeAllConnections();
    await new Promise((r) => server.close(r));
  });
});
