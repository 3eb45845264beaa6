/*
 * The limit row: a bare Node keep-alive reverse proxy. It forwards the request and pipes the response
 * bytes back, parsing no body at all: what any Node gateway on this machine could at best reach.
 * Run as a child process: `node --import tsx bench/bare-proxy.ts http://127.0.0.1:PORT`.
 */
import { Agent, createServer, request, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { pathToFileURL } from 'node:url';

export interface BareProxy {
  readonly url: string;
  close(): Promise<void>;
}

export async function startBareProxy(upstream: string, port = 0): Promise<BareProxy> {
  const target = new URL(upstream);
  // An agent `timeout` is what makes node heed the upstream's `Keep-Alive: timeout=5` hint and drop an idle
  // socket a second before the upstream does; with none, a request after 5 s idle could be written to a socket
  // the upstream is closing and get a 502 (seen once under callgrind, between counted windows).
  const agent = new Agent({ keepAlive: true, maxSockets: 256, timeout: 60_000 });
  const server: Server = createServer((req, res) => {
    const up = request(
      { agent, host: target.hostname, port: target.port, method: req.method, path: req.url, headers: req.headers },
      (ur) => {
        res.writeHead(ur.statusCode ?? 502, ur.headers);
        ur.pipe(res);
      },
    );
    up.on('error', () => {
      if (!res.headersSent) res.writeHead(502).end();
      else res.destroy();
    });
    res.on('close', () => {
      if (!res.writableFinished) up.destroy();
    });
    req.pipe(up);
  });
  server.keepAliveTimeout = 65_000;
  await new Promise<void>((resolve) => server.listen(port, '127.0.0.1', resolve));
  const { port: bound } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${bound}`,
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
        agent.destroy();
      }),
  };
}

// As a child process of the bench.
if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  const { childMain, probeSelf } = await import('./procs.js');
  const proxy = await startBareProxy(process.argv[2]!);
  childMain({ url: proxy.url }, { probe: () => probeSelf(), stop: () => proxy.close() });
}
