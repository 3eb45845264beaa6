import { spawn, type ChildProcess } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { onCleanup, withTimeout } from './cleanup.js';

/*
 * Child processes with a tiny request/response protocol over the IPC channel. Servers under test run in
 * processes of their own so that the load generator, the server and the upstream do not share one event
 * loop (on a 2-core machine they still share the cores: that is stated in RESULTS.md).
 */

type Handler = (args: any) => unknown;

export interface Child {
  readonly pid: number;
  /** Whatever the child sent with its `ready` message. */
  readonly ready: Record<string, unknown>;
  call<T = unknown>(op: string, args?: unknown, timeoutMs?: number): Promise<T>;
  /** Asks the child to stop (op `stop`), then SIGTERM, then SIGKILL; resolves with its exit code. */
  stop(): Promise<number | null>;
}

export interface SpawnOptions {
  /** Extra node flags (before `--import tsx`), e.g. --cpu-prof, --expose-gc. */
  nodeArgs?: string[];
  env?: NodeJS.ProcessEnv;
  readyTimeoutMs?: number;
  /** Load tsx (default true): false for plain JavaScript such as the peer. */
  tsx?: boolean;
  /** A command node runs under, with its flags (e.g. valgrind's); the child keeps node's pid and IPC channel. */
  wrapper?: string[];
}

const BENCH_DIR = fileURLToPath(new URL('.', import.meta.url));

/** Starts `node --import tsx bench/<file> ...args` (or an absolute path) and waits for its `ready` message. */
export async function spawnChild(file: string, args: string[] = [], opts: SpawnOptions = {}): Promise<Child> {
  const script = file.startsWith('/') ? file : `${BENCH_DIR}${file}`;
  const loader = opts.tsx === false ? [] : ['--import', 'tsx'];
  const [command, ...wrapperArgs] = opts.wrapper ?? [];
  const nodeArgv = [...(opts.nodeArgs ?? []), ...loader, script, ...args];
  const child: ChildProcess = spawn(command ?? process.execPath, command ? [...wrapperArgs, process.execPath, ...nodeArgv] : nodeArgv, {
    stdio: ['ignore', 'ignore', 'pipe', 'ipc'],
    env: { ...process.env, ...opts.env },
  });
  let tail = '';
  child.stderr!.setEncoding('utf8');
  child.stderr!.on('data', (d: string) => {
    tail = (tail + d).slice(-4000);
  });
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  let nextId = 0;
  const pending = new Map<number, { resolve: (v: unknown) => void; reject: (e: Error) => void }>();
  let readyResolve!: (v: Record<string, unknown>) => void;
  let readyReject!: (e: Error) => void;
  const readyP = new Promise<Record<string, unknown>>((res, rej) => {
    readyResolve = res;
    readyReject = rej;
  });
  child.on('message', (m: any) => {
    if (m?.type === 'ready') readyResolve(m.info ?? {});
    else if (m?.type === 'reply') {
      const p = pending.get(m.id);
      pending.delete(m.id);
      if (m.error) p?.reject(new Error(m.error));
      else p?.resolve(m.result);
    }
  });
  void exited.then((code) => {
    const e = new Error(`${file} exited (${code}) ${tail.split('\n').slice(-8).join('\n')}`);
    readyReject(e);
    for (const p of pending.values()) p.reject(e);
    pending.clear();
  });

  const kill = async (): Promise<number | null> => {
    if (child.exitCode !== null || child.signalCode !== null) return child.exitCode;
    if (child.connected) child.send({ type: 'call', id: -1, op: 'stop' }, () => undefined);
    const byItself = await Promise.race([exited, new Promise<'slow'>((r) => setTimeout(() => r('slow'), 8_000).unref())]);
    if (byItself !== 'slow') return byItself;
    child.kill('SIGTERM');
    const termed = await Promise.race([exited, new Promise<'slow'>((r) => setTimeout(() => r('slow'), 3_000).unref())]);
    if (termed !== 'slow') return termed;
    child.kill('SIGKILL');
    return exited;
  };
  const stop = onCleanup(`child ${file} (pid ${child.pid})`, async () => void (await kill()));

  let ready: Record<string, unknown>;
  try {
    ready = await withTimeout(readyP, opts.readyTimeoutMs ?? 60_000, `starting ${file}`);
  } catch (e) {
    await stop();
    throw e;
  }
  return {
    pid: child.pid!,
    ready,
    call<T>(op: string, a?: unknown, timeoutMs = 30_000): Promise<T> {
      const id = ++nextId;
      const p = new Promise<T>((resolve, reject) => {
        pending.set(id, { resolve: resolve as (v: unknown) => void, reject });
        child.send({ type: 'call', id, op, args: a }, (err) => {
          if (err) {
            pending.delete(id);
            reject(err);
          }
        });
      });
      return withTimeout(p, timeoutMs, `${file}: ${op}`);
    },
    async stop() {
      await stop();
      return child.exitCode;
    },
  };
}

/**
 * The child side: announces `ready` with `info`, answers calls with `handlers`, and on `stop` (or when the
 * parent goes away) runs `handlers.stop` and exits.
 */
export function childMain(info: Record<string, unknown>, handlers: Record<string, Handler> & { stop: () => Promise<void> | void }): void {
  let stopping = false;
  const stop = async (code = 0) => {
    if (stopping) return;
    stopping = true;
    try {
      await handlers.stop();
    } finally {
      process.exit(code);
    }
  };
  process.on('message', (m: any) => {
    if (m?.type !== 'call') return;
    if (m.op === 'stop') return void stop();
    const h = handlers[m.op];
    Promise.resolve()
      .then(() => {
        if (!h) throw new Error(`unknown op ${m.op}`);
        return h(m.args);
      })
      .then(
        (result) => process.connected && process.send!({ type: 'reply', id: m.id, result }),
        (e: unknown) => process.connected && process.send!({ type: 'reply', id: m.id, error: e instanceof Error ? e.message : String(e) }),
      );
  });
  process.once('disconnect', () => void stop());
  process.once('SIGTERM', () => void stop());
  process.send!({ type: 'ready', info });
}

/** What a child reports about itself (memory, live sockets and timers). */
export interface ProcessProbe {
  /** process.cpuUsage(): user + system CPU time of the whole process so far, µs. */
  cpuUs: number;
  rss: number;
  heapUsed: number;
  resources: Record<string, number>;
}

export function probeSelf(): ProcessProbe {
  const m = process.memoryUsage();
  const resources: Record<string, number> = {};
  for (const r of process.getActiveResourcesInfo()) resources[r] = (resources[r] ?? 0) + 1;
  const cpu = process.cpuUsage();
  return { cpuUs: cpu.user + cpu.system, rss: m.rss, heapUsed: m.heapUsed, resources };
}
