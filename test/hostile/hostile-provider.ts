import { createServer as createHttpServer, type IncomingMessage, type ServerResponse } from 'node:http';
import { createServer as createTcpServer, type Socket } from 'node:net';
import type { AddressInfo } from 'node:net';

/*
 * Providers that misbehave the way real ones and compromised proxies do (issue 18), for the tests of this
 * folder and the soak. Each is a real server on loopback; `hostileProvider(kind)` starts one.
 */

export type HostileKind =
  | 'redirect' // every call: 307 to `target` (another server), cross-origin
  | 'continue' // an unsolicited `100 Continue`, then a normal answer (raw TCP)
  | 'early-hints' // a `103 Early Hints`, then a normal answer (raw TCP)
  | 'echo-key' // a normal answer whose content echoes the key it was sent (`secret`), split across events when streamed
  | 'endless-line' // a 200 event stream whose first line never ends
  | 'huge-events' // a 200 event stream of 1 MB events, sent as fast as the socket takes them, never ending
  | 'ok'; // a normal answer

export interface HostileOptions {
  /** Where `redirect` sends callers. */
  target?: string;
  /** What `echo-key` echoes. */
  secret?: string;
}

export interface Recorder {
  readonly url: string;
  /** Every request it received: path and headers. */
  readonly got: { url: string; headers: Record<string, unknown>; body: string }[];
  close(): Promise<void>;
}

export interface HostileProvider {
  readonly url: string;
  /** Requests received. */
  hits(): number;
  /** Bytes written to answers so far. */
  written(): number;
  close(): Promise<void>;
}

export const completion = (content: string) => ({
  id: 'chatcmpl-hostile',
  object: 'chat.completion',
  created: 1,
  model: 'hostile',
  choices: [{ index: 0, message: { role: 'assistant', content }, finish_reason: 'stop' }],
  usage: { prompt_tokens: 1, completion_tokens: 1, total_tokens: 2 },
});

export const chunk = (content: string, finish: string | null = null) => ({
  id: 'chatcmpl-hostile',
  object: 'chat.completion.chunk',
  created: 1,
  model: 'hostile',
  choices: [{ index: 0, delta: { content }, finish_reason: finish }],
});

const sse = (v: unknown) => `data: ${JSON.stringify(v)}\n\n`;

/** A server that records whatever reaches it: where a redirect points. */
export async function startRecorder(): Promise<Recorder> {
  const got: Recorder['got'] = [];
  const server = createHttpServer((req, res) => {
    let body = '';
    req.setEncoding('utf8').on('data', (d: string) => (body += d));
    req.on('end', () => {
      got.push({ url: req.url ?? '', headers: { ...req.headers }, body });
      res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify(completion('stolen')));
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  return {
    url: `http://localhost:${(server.address() as AddressInfo).port}`,
    got,
    close: () => new Promise<void>((r) => (server.closeAllConnections(), server.close(() => r()))),
  };
}

function readBody(req: IncomingMessage): Promise<Record<string, unknown>> {
  return new Promise((resolve) => {
    let body = '';
    req.setEncoding('utf8').on('data', (d: string) => (body += d));
    req.on('end', () => {
      try {
        resolve(JSON.parse(body) as Record<string, unknown>);
      } catch {
        resolve({});
      }
    });
  });
}

/** Writes `piece` over and over while the socket takes it, until it closes. */
function flood(res: ServerResponse, piece: string, count: (n: number) => void): void {
  const buf = Buffer.from(piece);
  const go = () => {
    while (!res.destroyed) {
      count(buf.length);
      if (!res.write(buf)) return void res.once('drain', go);
    }
  };
  go();
}

export async function hostileProvider(kind: HostileKind, opts: HostileOptions = {}): Promise<HostileProvider> {
  let hits = 0;
  let written = 0;
  const count = (n: number) => void (written += n);
  if (kind === 'continue' || kind === 'early-hints') {
    const sockets = new Set<Socket>();
    const server = createTcpServer((socket) => {
      sockets.add(socket);
      socket.on('close', () => sockets.delete(socket)).on('error', () => undefined);
      let text = '';
      socket.setEncoding('latin1').on('data', (d: string) => {
        text += d;
        const head = text.indexOf('\r\n\r\n');
        if (head === -1) return;
        const length = Number(/content-length:\s*(\d+)/i.exec(text.slice(0, head))?.[1] ?? 0);
        if (text.length < head + 4 + length) return;
        const body = JSON.parse(text.slice(head + 4, head + 4 + length)) as { stream?: boolean };
        text = '';
        hits++;
        const informational = kind === 'continue' ? 'HTTP/1.1 100 Continue\r\n\r\n' : 'HTTP/1.1 103 Early Hints\r\nlink: </x>; rel=preload\r\n\r\n';
        const answer = body.stream
          ? `${sse(chunk('Hello'))}${sse(chunk('', 'stop'))}data: [DONE]\n\n`
          : JSON.stringify(completion('Hello'));
        const type = body.stream ? 'text/event-stream' : 'application/json';
        socket.write(`${informational}HTTP/1.1 200 OK\r\ncontent-type: ${type}\r\ncontent-length: ${Buffer.byteLength(answer)}\r\n\r\n${answer}`);
      });
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    return {
      url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/v1`,
      hits: () => hits,
      written: () => written,
      close: () => new Promise<void>((r) => (sockets.forEach((s) => s.destroy()), server.close(() => r()))),
    };
  }
  const server = createHttpServer(async (req, res) => {
    hits++;
    res.on('error', () => undefined);
    const body = await readBody(req);
    const streamed = body.stream === true;
    switch (kind) {
      case 'redirect':
        res.writeHead(307, { location: `${opts.target ?? 'http://localhost:9'}/v1/chat/completions?key=leak` }).end();
        return;
      case 'echo-key': {
        const secret = opts.secret ?? '';
        const said = `your key is ${secret} and ${JSON.stringify(secret).slice(1, -1)}`;
        if (!streamed) return void res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify(completion(said)));
        res.writeHead(200, { 'content-type': 'text/event-stream' });
        // The key split across events, and an event split across writes in the middle of the key.
        const cut = Math.floor(secret.length / 2);
        res.write(sse(chunk(`your key is ${secret.slice(0, cut)}`)));
        const second = sse(chunk(`${secret.slice(cut)} and whole: ${secret}.`));
        res.write(second.slice(0, 30 + cut));
        setTimeout(() => res.end(`${second.slice(30 + cut)}${sse(chunk('', 'stop'))}data: [DONE]\n\n`), 20);
        return;
      }
      case 'endless-line':
        res.writeHead(200, { 'content-type': 'text/event-stream' });
        res.write('data: {"choices":[{"index":0,"delta":{"content":"');
        flood(res, 'x'.repeat(64 * 1024), count);
        return;
      case 'huge-events': {
        res.writeHead(200, { 'content-type': 'text/event-stream' });
        flood(res, sse(chunk('y'.repeat(1024 * 1024 - 200))), count);
        return;
      }
      default:
        if (!streamed) return void res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify(completion('Hello')));
        res.writeHead(200, { 'content-type': 'text/event-stream' }).end(`${sse(chunk('Hello'))}${sse(chunk('', 'stop'))}data: [DONE]\n\n`);
    }
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/v1`,
    hits: () => hits,
    written: () => written,
    close: () => new Promise<void>((r) => (server.closeAllConnections(), server.close(() => r()))),
  };
}
