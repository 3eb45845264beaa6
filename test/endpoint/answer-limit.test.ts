import { createServer, type Server, type ServerResponse } from 'node:http';
import { gzipSync } from 'node:zlib';
import OpenAI, { APIError, InternalServerError, RateLimitError } from 'openai';
import { afterEach, describe, expect, it } from 'vitest';
import { boundedFetch, STREAMED_ANSWER } from '../../src/endpoint/bounded-fetch.js';
import { CancelSource } from '../../src/endpoint/cancellation.js';
import { InvalidResponseError } from '../../src/endpoint/classify.js';
import { nativeTransport } from '../../src/endpoint/native-transport.js';
import { sdkTransport, type Transport } from '../../src/endpoint/transport.js';
import { readAll } from './helpers.js';

/*
 * Every answer is bounded whichever transport reads it: real providers over real HTTP that never stop
 * writing, so only the limit can end the read (a missing limit hangs the test until vitest's timeout).
 */

const servers: Server[] = [];
afterEach(async () => {
  for (const s of servers.splice(0)) {
    s.closeAllConnections();
    await new Promise((r) => s.close(r));
  }
});

const body = { model: 'm', messages: [{ role: 'user' as const, content: 'hi' }], stream: false as const };
const streamBody = { ...body, stream: true as const };

/** A provider that answers every call with `answer(res)`; `closed` counts answers whose connection was cut. */
async function provider(answer: (res: ServerResponse) => void): Promise<{ baseURL: string; cut: () => number }> {
  let cut = 0;
  const server = createServer((req, res) => {
    res.on('close', () => !res.writableFinished && cut++);
    req.resume().on('end', () => answer(res));
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  servers.push(server);
  return { baseURL: `http://127.0.0.1:${(server.address() as { port: number }).port}/v1`, cut: () => cut };
}

/** Writes `start`, then `piece` again and again without ending, as fast as the reader takes it. */
function endless(res: ServerResponse, head: { status: number; type: string; headers?: Record<string, string> }, piece: string, start = '') {
  res.writeHead(head.status, { 'content-type': head.type, ...head.headers });
  res.write(start);
  const more = () => {
    while (!res.destroyed && res.write(piece));
    if (!res.destroyed) res.once('drain', more);
  };
  res.on('close', () => res.off('drain', more));
  more();
}

const transports: Record<string, (baseURL: string, maxAnswerBytes: number) => Transport> = {
  native: (baseURL, maxAnswerBytes) => nativeTransport({ baseURL, maxAnswerBytes, maxEventBytes: maxAnswerBytes }),
  // As endpoint.ts builds it: the SDK client over a bounded fetch, its streams read by the same parser.
  sdk: (baseURL, maxAnswerBytes) =>
    sdkTransport(new OpenAI({ baseURL, apiKey: 'k', maxRetries: 0, logLevel: 'off', fetch: boundedFetch(fetch, maxAnswerBytes) }), {
      maxEventBytes: maxAnswerBytes,
    }),
};

for (const [name, make] of Object.entries(transports)) {
  describe(`${name} transport: answers larger than maxAnswerBytes`, () => {
    it('cuts a plain answer that never ends and rejects it as invalid', async () => {
      const p = await provider((res) => endless(res, { status: 200, type: 'application/json' }, `{"x":"${'a'.repeat(1_000)}",`));
      const t = make(p.baseURL, 64 * 1024);
      const e = await t.complete(body, new CancelSource()).catch((x: unknown) => x);
      expect(e).toBeInstanceOf(InvalidResponseError);
      expect((e as Error).message).toBe('answer larger than 65536 bytes');
      await expect.poll(p.cut).toBe(1);
      t.close();
    });

    it('holds a plain answer of many small events (text/event-stream) to the whole limit', async () => {
      const p = await provider((res) => endless(res, { status: 200, type: 'text/event-stream' }, `data: {"pad":"${'p'.repeat(1_000)}"}\n\n`));
      const t = make(p.baseURL, 64 * 1024);
      const e = await t.complete(body, new CancelSource()).catch((x: unknown) => x);
      expect(e).toBeInstanceOf(InvalidResponseError);
      t.close();
    });

    // The SDK reads a huge error body whole and throws the status's class: the same fault, the same outcome.
    it('cuts an error body that never ends and rejects it as its status, headers kept, plain or streamed', async () => {
      let status = 0;
      const p = await provider((res) => endless(res, { status, type: 'application/json', headers: { 'retry-after': '7' } }, `{"x":"${'a'.repeat(1_000)}",`));
      for (const c of [{ status: 500, type: InternalServerError }, { status: 429, type: RateLimitError }]) {
        status = c.status;
        const t = make(p.baseURL, 64 * 1024);
        for (const call of [() => t.complete(body, new CancelSource()), () => t.stream(streamBody, new CancelSource())]) {
          const e = await call().catch((x: unknown) => x);
          expect(e).toBeInstanceOf(c.type);
          expect((e as APIError).status).toBe(c.status);
          expect((e as APIError).headers?.get('retry-after')).toBe('7');
        }
        t.close();
      }
    });

    it('ends a stream with InvalidResponseError after the events before an event that never ends', async () => {
      const p = await provider((res) => endless(res, { status: 200, type: 'text/event-stream' }, 'b'.repeat(1_000), 'data: {"id":"a"}\n\ndata: {"id":"'));
      const t = make(p.baseURL, 64 * 1024);
      const r = await readAll(await t.stream(streamBody, new CancelSource()));
      expect(r.got).toEqual([{ id: 'a' }]);
      expect(r.error).toBeInstanceOf(InvalidResponseError);
      await expect.poll(p.cut).toBe(1);
      t.close();
    });

    it('counts per event, not per stream: a long stream of small events is read to its end, whatever its line ends', async () => {
      for (const eol of ['\n', '\r\n', '\r']) {
        const events = Array.from({ length: 200 }, (_, i) => `data: {"i":${i},"pad":"${'p'.repeat(1_000)}"}${eol}${eol}`).join('');
        const p = await provider((res) => res.writeHead(200, { 'content-type': 'text/event-stream' }).end(`${events}data: [DONE]${eol}${eol}`));
        const t = make(p.baseURL, 16 * 1024);
        const r = await readAll(await t.stream(streamBody, new CancelSource()));
        expect(r.error, JSON.stringify(eol)).toBeUndefined();
        expect(r.got).toHaveLength(200);
        t.close();
      }
    });

    it('counts a stream of many data lines and no blank line as one event', async () => {
      const p = await provider((res) => endless(res, { status: 200, type: 'text/event-stream' }, `data: ${'d'.repeat(100)}\n`));
      const t = make(p.baseURL, 64 * 1024);
      const r = await readAll(await t.stream(streamBody, new CancelSource()));
      expect(r.got).toEqual([]);
      expect(r.error).toBeInstanceOf(InvalidResponseError);
      t.close();
    });

    it('refuses a limit that is not a positive number, quoting it', () => {
      for (const bad of [0, -1, Number.NaN]) {
        expect(() => make('http://127.0.0.1:1/v1', bad)).toThrow(new RangeError(`maxAnswerBytes must be a positive number of bytes, got ${bad}`));
      }
    });
  });
}

describe('boundedFetch', () => {
  const spying = () => {
    const inits: (RequestInit | undefined)[] = [];
    const answers: Response[] = [];
    const spy: typeof fetch = async (input, init) => {
      inits.push(init);
      const r = await fetch(input, init);
      answers.push(r);
      return r;
    };
    return { spy, inits, answers };
  };

  it("strips its marker before the caller's fetch, and passes an answer of a declared length within the limit on as it is", async () => {
    const p = await provider((res) => res.writeHead(200, { 'content-type': 'application/json', 'content-length': 11 }).end('{"ok":true}'));
    const { spy, inits, answers } = spying();
    const f = boundedFetch(spy, 1024);
    const r = await f(`${p.baseURL}/chat/completions`, { method: 'POST', body: '{}', [STREAMED_ANSWER]: true } as RequestInit);
    expect(Object.getOwnPropertySymbols(inits[0])).toEqual([]);
    expect(inits[0]).toEqual({ method: 'POST', body: '{}', redirect: 'manual' });
    expect(r).toBe(answers[0]);
    expect(await r.json()).toEqual({ ok: true });
  });

  // A compressed body's declared length is the compressed one: 1 MB of JSON gzips to about 1 KB.
  it('holds a compressed answer to the limit on what it decompresses to, whatever length it declares', async () => {
    const zipped = gzipSync(JSON.stringify({ x: 'a'.repeat(1024 * 1024) }));
    const p = await provider((res) =>
      res.writeHead(200, { 'content-type': 'application/json', 'content-encoding': 'gzip', 'content-length': zipped.length }).end(zipped),
    );
    expect(zipped.length).toBeLessThan(64 * 1024);
    const t = sdkTransport(new OpenAI({ baseURL: p.baseURL, apiKey: 'k', maxRetries: 0, fetch: boundedFetch(fetch, 64 * 1024) }));
    const e = await t.complete(body, new CancelSource()).catch((x: unknown) => x);
    expect(e).toBeInstanceOf(InvalidResponseError);
    expect((e as Error).message).toBe('answer larger than 65536 bytes');
  });

  it('reads an answer of no declared length within the limit whole, status and headers kept', async () => {
    const p = await provider((res) => {
      res.writeHead(201, { 'content-type': 'application/json', 'x-a': 'b' });
      res.write('{"ok":');
      res.end('true}');
    });
    const { spy, answers } = spying();
    const r = await boundedFetch(spy, 1024)(`${p.baseURL}/chat/completions`, { method: 'POST', body: '{}' });
    expect(r).not.toBe(answers[0]);
    expect([r.status, r.headers.get('x-a')]).toEqual([201, 'b']);
    expect(await r.json()).toEqual({ ok: true });
  });
});
