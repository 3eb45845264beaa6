import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';

/* What the soak reads of this process and of the gateway, to tell whether anything was left behind. */

let gcFn: (() => void) | undefined;
/** A full garbage collection (twice: the first may leave what finalizers freed). */
export function gc(): void {
  if (!gcFn) {
    setFlagsFromString('--expose-gc');
    gcFn = runInNewContext('gc') as () => void;
  }
  gcFn();
  gcFn();
}

/** This process's open sockets and active timers. */
export function resources(): { sockets: number; timers: number } {
  let sockets = 0;
  let timers = 0;
  for (const r of process.getActiveResourcesInfo()) {
    if (r === 'TCPSocketWrap') sockets++;
    else if (r === 'Timeout') timers++;
  }
  return { sockets, timers };
}

/** `switchyard_attempts_total` from a /metrics text, summed per endpoint and outcome. */
export function parseAttempts(text: string): { byEndpoint: Record<string, Record<string, number>> } {
  const byEndpoint: Record<string, Record<string, number>> = {};
  for (const line of text.split('\n')) {
    const m = /^switchyard_attempts_total\{([^}]*)\}\s+(\S+)/.exec(line);
    if (!m) continue;
    const labels = Object.fromEntries([...m[1]!.matchAll(/(\w+)="([^"]*)"/g)].map((x) => [x[1], x[2]]));
    const ep = labels.endpoint!;
    const outcome = labels.outcome!;
    byEndpoint[ep] ??= {};
    byEndpoint[ep][outcome] = (byEndpoint[ep][outcome] ?? 0) + Number(m[2]);
  }
  return { byEndpoint };
}
