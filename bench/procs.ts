import { spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { setTimeout as sleep } from 'node:timers/promises';

/*
 * Everything the bench starts registers how to stop it, so a run that fails halfway or is interrupted with
 * Ctrl-C leaves nothing behind. Servers under test run as processes of their own, started as a user starts
 * them (`switchyard serve`, `switchyard simulate`, `redis-server`, Portkey's start-server), and are read from
 * outside: ready when their output says so, CPU time and RSS from /proc. On a 2-core machine the load
 * generator, the server and the upstream still share the cores: RESULTS.md says so.
 */

/** The processes started and not yet stopped (a process's `stop` takes it out). */
const running = new Set<{ name: string; stop: () => Promise<void> }>();

/** Stops everything still running, newest first; errors are reported, never thrown. */
export async function cleanupAll(): Promise<void> {
  for (const entry of [...running].reverse()) {
    await withTimeout(entry.stop(), 10_000, `stopping ${entry.name}`).catch((e: unknown) =>
      process.stderr.write(`bench: ${e instanceof Error ? e.message : String(e)}\n`),
    );
  }
}

/** Ctrl-C / SIGTERM: stop everything, then exit. */
export function installSignalCleanup(): void {
  const onSignal = (signal: NodeJS.Signals) => {
    process.stderr.write(`\nbench: ${signal}, stopping everything...\n`);
    void cleanupAll().finally(() => process.exit(130));
  };
  process.once('SIGINT', onSignal);
  process.once('SIGTERM', onSignal);
}

export function withTimeout<T>(p: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const limit = new Promise<never>((_, reject) => (timer = setTimeout(() => reject(new Error(`${what}: no result within ${ms} ms`)), ms)));
  return Promise.race([p, limit]).finally(() => clearTimeout(timer));
}

export type Proc = Awaited<ReturnType<typeof startProc>>;

/** Starts `argv` and resolves once `ready` matches its output. `stdout: 'ignore'` for servers that log every request. */
export async function startProc(argv: string[], ready: RegExp, o: { env?: NodeJS.ProcessEnv; stdout?: 'ignore'; timeoutMs?: number } = {}) {
  const child = spawn(argv[0]!, argv.slice(1), { stdio: ['ignore', o.stdout ?? 'pipe', 'pipe'], env: { ...process.env, ...o.env } });
  const exited = new Promise<void>((resolve) => child.once('close', () => resolve()));
  // The last 64 KB of output; `base` is the offset of its first character in everything printed.
  let text = '';
  let base = 0;
  const listeners = new Set<() => void>();
  for (const s of [child.stdout, child.stderr]) {
    s?.setEncoding('utf8').on('data', (d: string) => {
      text += d;
      if (text.length > 65_536) (base += text.length - 65_536), (text = text.slice(-65_536));
      for (const l of listeners) l();
    });
  }
  /** The first match of `re` in what it printed after `from` (a `mark()`). */
  const waitFor = (re: RegExp, from: number, timeoutMs = 30_000) =>
    withTimeout(
      new Promise<RegExpExecArray>((resolve, reject) => {
        const check = () => {
          const m = re.exec(text.slice(Math.max(0, from - base)));
          if (m) resolve(m);
          if (m || child.exitCode !== null || child.signalCode !== null) listeners.delete(check);
        };
        listeners.add(check);
        child.once('error', reject);
        void exited.then(() => reject(new Error(`${argv.join(' ')} exited (${child.exitCode ?? child.signalCode}): ${text.slice(-2_000)}`)));
        check();
      }),
      timeoutMs,
      `${argv[0]}: waiting for ${re}`,
    );
  // SIGTERM, then SIGKILL after 8 s; once, however often it is called.
  let stopping: Promise<void> | undefined;
  const stop = () =>
    (stopping ??= (async () => {
      running.delete(entry);
      if (child.exitCode !== null || child.signalCode !== null) return;
      child.kill('SIGTERM');
      if (await Promise.race([exited.then(() => true), sleep(8_000, false)])) return;
      child.kill('SIGKILL');
      await exited;
    })());
  const entry = { name: `${argv.slice(0, 3).join(' ')} (pid ${child.pid})`, stop };
  running.add(entry);
  let match: RegExpExecArray;
  try {
    match = await waitFor(ready, 0, o.timeoutMs ?? 60_000);
  } catch (e) {
    await stop();
    throw e;
  }
  const proc = (file: string) => readFileSync(`/proc/${child.pid}/${file}`, 'utf8');
  return {
    pid: child.pid!,
    /** What `ready` matched in the process's output. */
    ready: match,
    /** Where its output (stdout and stderr) ends now, for `waitFor` and `output`. */
    mark: () => base + text.length,
    /** What it printed after `from` (at most the last 64 KB). */
    output: (from: number) => text.slice(Math.max(0, from - base)),
    waitFor,
    /** User + system CPU time so far, µs: fields 14 and 15 of /proc/<pid>/stat, in ticks of 10 ms, after the name (which may hold spaces). */
    cpuUs: () => {
      const stat = proc('stat');
      return stat.slice(stat.lastIndexOf(')') + 2).split(' ').slice(11, 13).reduce((a, t) => a + Number(t) * 10_000, 0);
    },
    rssBytes: () => Number(/VmRSS:\s+(\d+) kB/.exec(proc('status'))?.[1] ?? NaN) * 1024,
    signal: (signal: NodeJS.Signals) => void child.kill(signal),
    stop,
  };
}
