import { connect, type Socket } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { HELLO, startStack, type Stack } from './helpers.js';

/*
 * Clients that send `Expect: 100-continue` (curl does for bodies over 1 MB) hold the body back until told.
 * A request refused without its body must be answered before the body is asked for, and one that is served
 * must get its 100 Continue.
 */

const KEY = 'expect-continue-client-key';
let s: Stack;
beforeAll(async () => {
  s = await startStack({ upstreams: { primary: {} }, server: { apiKeys: [KEY], bodyLimitBytes: 2048 } });
});
afterAll(() => s.close());

const ask = JSON.stringify({ model: 'chat', messages: HELLO });

/** Sends only the head of a request expecting 100 Continue; `onData` sees everything the server sends. */
function head(key: string, length: number, onData: (all: string, socket: Socket) => void): Promise<string> {
  return new Promise((resolve, reject) => {
    const { hostname, port } = new URL(s.url);
    let out = '';
    const socket = connect(Number(port), hostname, () =>
      socket.write(
        `POST /v1/chat/completions HTTP/1.1\r\nhost: x\r\nauthorization: Bearer ${key}\r\ncontent-type: application/json\r\n` +
          `expect: 100-continue\r\ncontent-length: ${length}\r\n\r\n`,
      ),
    );
    socket
      .setEncoding('utf8')
      .on('data', (d: string) => onData((out += d), socket))
      .on('close', () => resolve(out))
      .on('error', reject);
  });
}

describe('Expect: 100-continue', () => {
  it('a wrong key is answered 401 without asking for the body, and the connection closed', async () => {
    const answer = await head('wrong', ask.length, () => undefined);
    expect(answer).toMatch(/^HTTP\/1.1 401 [^]*"code":"invalid_api_key"/);
    expect(answer).not.toContain('100 Continue');
  });

  it('a body declared over the limit is answered 413 without asking for it', async () => {
    const answer = await head(KEY, 1_000_000, () => undefined);
    expect(answer).toMatch(/^HTTP\/1.1 413 [^]*"code":"request_too_large"/);
    expect(answer).not.toContain('100 Continue');
  });

  it('a request that is served gets 100 Continue, then its answer', async () => {
    let sent = false;
    const answer = await head(KEY, ask.length, (all, socket) => {
      if (!sent && all.startsWith('HTTP/1.1 100 Continue\r\n\r\n')) {
        sent = true;
        socket.write(ask);
      }
      if (/\r\n\r\n\{[^]*\}$/.test(all)) socket.end();
    });
    expect(answer).toMatch(/^HTTP\/1.1 100 Continue\r\n\r\nHTTP\/1.1 200 [^]*"object":"chat.completion"/);
  });
});
