import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import os from 'node:os';

export interface Machine {
  os: string;
  kernel: string;
  cpu: string;
  cores: number;
  memoryGb: number;
  node: string;
  /** Firecracker/KVM guest and similar: what the kernel command line tells. */
  virtualization?: string;
}

export function machine(): Machine {
  let virtualization: string | undefined;
  try {
    const cmdline = readFileSync('/proc/cmdline', 'utf8');
    const bits = [
      /firecracker/i.test(cmdline) ? 'Firecracker microVM' : undefined,
      /\bpvm_/.test(cmdline) ? 'PVM (software-virtualised page tables)' : undefined,
      /\bpti=on\b/.test(cmdline) ? 'kernel page-table isolation on' : undefined,
    ].filter(Boolean);
    if (bits.length) virtualization = bits.join(', ');
  } catch {
    // not Linux
  }
  let osName = `${os.type()} ${os.release()}`;
  try {
    const pretty = /^PRETTY_NAME="?([^"\n]+)"?/m.exec(readFileSync('/etc/os-release', 'utf8'))?.[1];
    if (pretty) osName = `${pretty} (${os.type()} ${os.release()})`;
  } catch {
    // no os-release
  }
  return {
    os: osName,
    kernel: os.release(),
    cpu: os.cpus()[0]?.model ?? 'unknown',
    cores: os.cpus().length,
    memoryGb: Math.round(os.totalmem() / 1024 ** 3),
    node: process.version,
    ...(virtualization ? { virtualization } : {}),
  };
}

export function loadAverage(): string {
  return os.loadavg().map((l) => l.toFixed(2)).join(' / ');
}

/** The last commit that touched src/ (what a run measured), and whether src/ has changes on top; undefined outside git. */
export interface SrcVersion {
  commit: string;
  subject: string;
  dirty: boolean;
}

export function srcVersion(): SrcVersion | undefined {
  try {
    const git = (...a: string[]) => execFileSync('git', a, { cwd: new URL('..', import.meta.url), encoding: 'utf8' }).trim();
    const [commit = '', subject = ''] = git('log', '-1', '--format=%h%x00%s', '--', 'src').split('\0');
    return { commit, subject, dirty: git('status', '--porcelain', '--', 'src') !== '' };
  } catch {
    return undefined;
  }
}
