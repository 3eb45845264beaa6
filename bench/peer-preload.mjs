// Loaded into the Portkey process with `node --import` (plain JavaScript: Portkey runs without tsx).
// 1. Loopback only: Portkey's start-server binds every interface; its listen() gets 127.0.0.1, and the port is
//    printed as `peer listening on port N` (it is started on port 0).
// 2. Observation, not behaviour: with PEER_LOG_FETCHES=1 every upstream fetch is printed as `fetch <ms> <host>`
//    on stderr, so the bench can count Portkey's attempts even to a port that refuses connections.
import net from 'node:net';

const listen = net.Server.prototype.listen;
net.Server.prototype.listen = function (...args) {
  if (typeof args[0] === 'number' && (args.length === 1 || typeof args[1] === 'function')) args.splice(1, 0, '127.0.0.1');
  else if (typeof args[0] === 'number' && args[1] === undefined) args[1] = '127.0.0.1';
  this.once('listening', () => process.stdout.write(`peer listening on port ${this.address().port}\n`));
  return listen.apply(this, args);
};

if (process.env.PEER_LOG_FETCHES === '1') {
  const realFetch = globalThis.fetch;
  globalThis.fetch = function (input, init) {
    try {
      const url = typeof input === 'string' ? input : input instanceof URL ? input.href : input.url;
      process.stderr.write(`fetch ${Date.now()} ${new URL(url).host}\n`);
    } catch {
      // never let observation change behaviour
    }
    return realFetch.call(this, input, init);
  };
}
