import { spawn, type ChildProcess } from 'node:child_process';
import { createServer } from 'node:net';

/** A real redis-server on a free loopback port, started and stopped by the test. */
export interface RedisServer {
  readonly port: number;
  readonly url: string;
  /** SIGKILL: the state is gone (no persistence), as after a crash. */
  kill(): Promise<void>;
  /** Starts again on the same port, empty. */
  restart(): Promise<void>;
  /** SIGSTOP / SIGCONT: a Redis that holds connections open and answers nothing (slow, not gone). */
  pause(): void;
  resume(): void;
  stop(): Promise<void>;
}

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = createServer();
    s.once('error', reject);
    s.listen(0, '127.0.0.1', () => {
      const port = (s.address() as { port: number }).port;
      s.close(() => resolve(port));
    });
  });
}

function launch(port: number): Promise<ChildProcess> {
  const child = spawn('redis-server', ['--port', String(port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no', '--protected-mode', 'no'], {
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  return new Promise((resolve, reject) => {
    let out = '';
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error(`redis-server not ready in 10 s: ${out}`));
    }, 10_000);
    child.stdout!.on('data', (d: Buffer) => {
      out += d.toString();
      if (out.includes('Ready to accept connections')) {
        clearTimeout(timer);
        resolve(child);
      }
    });
    child.once('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`redis-server exited (${code}): ${out}`));
    });
    child.once('error', (e) => {
      clearTimeout(timer);
      reject(new Error(`cannot start redis-server (${e.message}): install it with scripts/ensure-test-tools.sh (Debian package redis-server)`));
    });
  });
}

function exited(child: ChildProcess | undefined, signal: NodeJS.Signals): Promise<void> {
  if (!child || child.exitCode !== null || child.signalCode !== null) return Promise.resolve();
  return new Promise((resolve) => {
    child.once('exit', () => resolve());
    child.kill(signal);
  });
}

export async function startRedis(): Promise<RedisServer> {
  let child: ChildProcess | undefined;
  let port = 0;
  for (let i = 0; ; i++) {
    port = await freePort();
    try {
      child = await launch(port);
      break;
    } catch (e) {
      // Another process took the port between the probe and the start: try another one.
      if (i >= 4) throw e;
    }
  }
  return {
    port,
    url: `redis://127.0.0.1:${port}`,
    async kill() {
      await exited(child, 'SIGKILL');
    },
    async restart() {
      await exited(child, 'SIGKILL');
      child = await launch(port);
    },
    pause() {
      child?.kill('SIGSTOP');
    },
    resume() {
      child?.kill('SIGCONT');
    },
    async stop() {
      child?.kill('SIGCONT');
      await exited(child, 'SIGTERM');
    },
  };
}

/** Polls `check` until it holds or `timeoutMs` passes (then throws with `what`). */
export async function until(check: () => boolean | Promise<boolean>, what: string, timeoutMs = 5_000, everyMs = 2): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    if (await check()) return;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, everyMs));
  }
}
