import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import os from 'node:os';

export interface Machine {
  cpu: string;
  cores: number;
  node: string;
  /** Firecracker and the like, from the kernel command line. */
  virtualization?: string;
}

export function machine(): Machine {
  let cmdline = '';
  try {
    cmdline = readFileSync('/proc/cmdline', 'utf8');
  } catch {
    // not Linux
  }
  const virtualization = /firecracker/i.test(cmdline) ? 'Firecracker microVM' : undefined;
  return { cpu: os.cpus()[0]?.model ?? 'unknown', cores: os.cpus().length, node: process.version, ...(virtualization ? { virtualization } : {}) };
}

export function loadAverage(): string {
  return os.loadavg().map((l) => l.toFixed(2)).join(' / ');
}

/** The last commit that touched src/ (what a run measured), and whether src/ has changes on top; undefined outside git. */
export interface SrcVersion {
  commit: string;
  dirty: boolean;
}

export function srcVersion(): SrcVersion | undefined {
  try {
    const git = (...a: string[]) => execFileSync('git', a, { cwd: new URL('..', import.meta.url), encoding: 'utf8' }).trim();
    return { commit: git('log', '-1', '--format=%h', '--', 'src'), dirty: git('status', '--porcelain', '--', 'src') !== '' };
  } catch {
    return undefined;
  }
}
