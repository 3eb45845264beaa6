import { connect } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startStack, waitFor, type Stack } from './helpers.js';

/*
 * Requests that node's HTTP parser rejects before the gateway's handler runs, or in the middle of a body
 * the handler is reading. Each gets the OpenAI-shaped error every other bad request gets, not node's bare
 * status line.
 */

let s: Stack;
beforeAll(async () => {
  s = await startStack({ upstreams: { primary: {} } });
});
afterAll(() => s.close());

interface Answer {
  status: number;
  head: string;
  body: string;
}

/** Writes `text` on a fresh connection and reads until the server closes it. */
function bare(text: string): Promise<Answer> {
  return new Promise((resolve, reject) => {
    const { hostname, port } = new URL(s.url);
    let out = '';
    const socket = connect(Number(port), hostname, () => socket.write(text));
    socket
      .setEncoding('utf8')
      .on('data', (d: string) => (out += d))
      .on('error', reject)
      .on('close', () => {
        const at = out.indexOf('\r\n\r\n');
        const head = at === -1 ? out : out.slice(0, at);
        resolve({ status: Number(/^HTTP\/1\.1 (\d{3})/.exec(out)?.[1]), head, body: at === -1 ? '' : out.slice(at + 4) });
      });
  });
}

function expectOpenAIError(a: Answer, status: number, code: string): void {
  expect(a.status).toBe(status);
  expect(a.head).toMatch(/\r\ncontent-type: application\/json/i);
  expect(JSON.parse(a.body)).toEqual({ error: expect.objectContaining({ code, type: 'invalid_request_error', message: expect.any(String) }) });
}

const chatHead = 'POST /v1/chat/completions HTTP/1.1\r\nhost: x\r\ncontent-type: application/json\r\n';

describe('requests the HTTP parser rejects', () => {
  it('431 for a request line or headers over node’s limit', async () => {
    expectOpenAIError(await bare(`GET /v1/models?${'x'.repeat(20_000)} HTTP/1.1\r\nhost: x\r\n\r\n`), 431, 'request_headers_too_large');
    expectOpenAIError(await bare(`GET /healthz HTTP/1.1\r\nhost: x\r\nx-big: ${'x'.repeat(20_000)}\r\n\r\n`), 431, 'request_headers_too_large');
  });

  it('400 for a malformed request: conflicting framing, a bad Content-Length, a line that is no header, an unknown method', async () => {
    const malformed = [
      `${chatHead}transfer-encoding: chunked\r\ncontent-length: 5\r\n\r\n0\r\n\r\n`,
      `${chatHead}content-length: -1\r\n\r\n`,
      `GET /healthz HTTP/1.1\r\nhost: x\r\nnot a header\r\n\r\n`,
      `FOO /healthz HTTP/1.1\r\nhost: x\r\n\r\n`,
    ];
    for (const text of malformed) expectOpenAIError(await bare(text), 400, 'invalid_http_request');
  });

  it('417 for an Expect other than 100-continue', async () => {
    expectOpenAIError(await bare(`${chatHead}expect: something-else\r\ncontent-length: 2\r\n\r\n{}`), 417, 'expectation_failed');
    expectOpenAIError(await bare('GET /healthz HTTP/1.1\r\nhost: x\r\nexpect: 200-ok\r\n\r\n'), 417, 'expectation_failed');
  });

  it('400 for broken chunked framing in a chat body the gateway is already reading, and the request settles', async () => {
    const a = await bare(`${chatHead}transfer-encoding: chunked\r\n\r\n5\r\n{"mod\r\nzz\r\n`);
    expectOpenAIError(a, 400, 'invalid_http_request');
    await waitFor(() => s.gateway.inFlight() === 0, 'the request to settle');
    expect(s.sims.primary!.stats().requests).toBe(0);
  });
});
