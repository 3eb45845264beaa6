// Loaded into the Portkey process with `node --import` (plain JavaScript: Portkey runs without tsx).
// 1. Loopback only: Portkey's start-server binds every interface; a listen() without a host gets 127.0.0.1.
// 2. Observation, not behaviour: every upstream fetch is logged (time, host) so the bench can count the
//    attempts Portkey makes, even to a port that refuses connections (which no simulator can count).
// 3. The bench's IPC protocol: `ready` once listening, `fetches` (drain the log) and `probe` (memory).
import net from 'node:net';

const listen = net.Server.prototype.listen;
net.Server.prototype.listen = function (...args) {
  if (typeof args[0] === 'number' && (args.length === 1 || typeof args[1] === 'function')) args.splice(1, 0, '127.0.0.1');
  else if (typeof args[0] === 'number' && args[1] === undefined) args[1] = '127.0.0.1';
  this.once('listening', () => {
    const a = this.address();
    if (process.send && a && typeof a === 'object') process.send({ type: 'ready', info: { port: a.port } });
  });
  return listen.apply(this, args);
};

let log = [];
const realFetch = globalThis.fetch;
globalThis.fetch = function (input, init) {
  try {
    const url = typeof input === 'string' ? input : input instanceof URL ? input.href : input.url;
    if (log.length < 1_000_000) log.push([Date.now(), new URL(url).host]);
  } catch {
    // never let observation change behaviour
  }
  return realFetch.call(this, input, init);
};

process.on('message', (m) => {
  if (m?.type !== 'call') return;
  if (m.op === 'stop') return process.exit(0);
  let result;
  if (m.op === 'fetches') {
    result = log;
    log = [];
  } else if (m.op === 'probe') {
    const mem = process.memoryUsage();
    const cpu = process.cpuUsage();
    result = { cpuUs: cpu.user + cpu.system, rss: mem.rss, heapUsed: mem.heapUsed, resources: {} };
  }
  process.send?.({ type: 'reply', id: m.id, result });
});
process.once('disconnect', () => process.exit(0));
