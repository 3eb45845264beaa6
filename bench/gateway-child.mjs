// Child process entry: the Switchyard gateway as `switchyard serve --config FILE` starts it, from the
// compiled build (bench/.tmp/dist, see build.ts), run by plain node: startServe with the config file,
// router, telemetry, express app, JSON request log on stdout (which the bench sends to /dev/null).
// argv[2]: the build folder, argv[3]: the config file. Plain JavaScript so that no TypeScript loader runs
// in the process under test. Speaks the bench's IPC protocol (see procs.ts): probe, gc, stop.
import { pathToFileURL } from 'node:url';

const [dist, configPath] = process.argv.slice(2);
const { startServe } = await import(pathToFileURL(`${dist}cli/serve.js`).href);
const served = await startServe({ configPath, port: 0, host: '127.0.0.1' });

function probe() {
  const m = process.memoryUsage();
  const cpu = process.cpuUsage();
  const resources = {};
  for (const r of process.getActiveResourcesInfo()) resources[r] = (resources[r] ?? 0) + 1;
  return { cpuUs: cpu.user + cpu.system, rss: m.rss, heapUsed: m.heapUsed, resources };
}

const handlers = {
  probe,
  gc: () => {
    if (!globalThis.gc) return false;
    globalThis.gc();
    globalThis.gc();
    return true;
  },
};

let stopping = false;
async function stop() {
  if (stopping) return;
  stopping = true;
  try {
    await served.close(1_000);
  } finally {
    process.exit(0);
  }
}
process.on('message', (m) => {
  if (m?.type !== 'call') return;
  if (m.op === 'stop') return void stop();
  Promise.resolve()
    .then(() => {
      const h = handlers[m.op];
      if (!h) throw new Error(`unknown op ${m.op}`);
      return h(m.args);
    })
    .then(
      (result) => process.connected && process.send({ type: 'reply', id: m.id, result }),
      (e) => process.connected && process.send({ type: 'reply', id: m.id, error: e instanceof Error ? e.message : String(e) }),
    );
});
process.once('disconnect', () => void stop());
process.once('SIGTERM', () => void stop());
process.send({ type: 'ready', info: { url: served.url } });
