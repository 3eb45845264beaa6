/*
 * The limit row: a bare Node keep-alive reverse proxy. It forwards the request and pipes the answer's bytes
 * back, parsing no body at all: what any Node gateway on this machine could at best reach.
 * `node --import tsx bench/bare-proxy.ts http://127.0.0.1:PORT` prints `listening on URL`.
 */
import { Agent, createServer, request } from 'node:http';
import type { AddressInfo } from 'node:net';

const target = new URL(process.argv[2]!);
// An agent `timeout` makes node heed the upstream's `Keep-Alive: timeout=5` hint and drop an idle socket a
// second before the upstream does; with none, a request after 5 s idle could be written to a socket the
// upstream is closing and get a 502 (seen once under callgrind, between counted windows).
const agent = new Agent({ keepAlive: true, maxSockets: 256, timeout: 60_000 });
const server = createServer((req, res) => {
  const up = request({ agent, host: target.hostname, port: target.port, method: req.method, path: req.url, headers: req.headers }, (ur) => {
    res.writeHead(ur.statusCode ?? 502, ur.headers);
    ur.pipe(res);
  });
  up.on('error', () => (res.headersSent ? res.destroy() : res.writeHead(502).end()));
  res.on('close', () => res.writableFinished || up.destroy());
  req.pipe(up);
});
server.keepAliveTimeout = 65_000;
server.listen(0, '127.0.0.1', () => process.stdout.write(`listening on http://127.0.0.1:${(server.address() as AddressInfo).port}\n`));
