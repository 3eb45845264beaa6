/*
 * Everything the bench starts (servers, child processes, timers) registers how to stop it here, so a run
 * that fails halfway, or is interrupted with Ctrl-C, still leaves nothing behind.
 */

type Stop = () => Promise<void> | void;

const stack: { name: string; stop: Stop }[] = [];
let installed = false;

/** Registers `stop`; returns a function that runs it now (once) and forgets it. */
export function onCleanup(name: string, stop: Stop): () => Promise<void> {
  const entry = { name, stop };
  stack.push(entry);
  let done: Promise<void> | undefined;
  return () =>
    (done ??= (async () => {
      const i = stack.indexOf(entry);
      if (i !== -1) stack.splice(i, 1);
      await stop();
    })());
}

/** Stops everything still registered, newest first; errors are reported, never thrown. */
export async function cleanupAll(): Promise<void> {
  while (stack.length > 0) {
    const { name, stop } = stack.pop()!;
    try {
      await withTimeout(Promise.resolve().then(stop), 10_000, `stopping ${name}`);
    } catch (e) {
      process.stderr.write(`bench: cleanup of ${name} failed: ${e instanceof Error ? e.message : String(e)}\n`);
    }
  }
}

/** Ctrl-C / SIGTERM: stop everything, then exit. */
export function installSignalCleanup(): void {
  if (installed) return;
  installed = true;
  const onSignal = (signal: NodeJS.Signals) => {
    process.stderr.write(`\nbench: ${signal}, stopping everything...\n`);
    void cleanupAll().finally(() => process.exit(130));
  };
  process.once('SIGINT', onSignal);
  process.once('SIGTERM', onSignal);
}

export function withTimeout<T>(p: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const limit = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`${what}: no result within ${ms} ms`)), ms);
  });
  return Promise.race([p, limit]).finally(() => clearTimeout(timer));
}

export const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));
