import { closeSync, mkdtempSync, openSync, readFileSync, rmSync } from 'node:fs';
import { once } from 'node:events';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { batchedDestination } from '../../src/gateway/logging.js';

let dir: string | undefined;
let fd: number | undefined;
afterEach(() => {
  vi.useRealTimers();
  if (fd !== undefined) closeSync(fd);
  if (dir) rmSync(dir, { recursive: true, force: true });
  dir = fd = undefined;
});

function file(): { fd: number; read: () => string } {
  dir = mkdtempSync(join(tmpdir(), 'switchyard-log-'));
  const path = join(dir, 'out.log');
  fd = openSync(path, 'w');
  return { fd, read: () => readFileSync(path, 'utf8') };
}

type Boom = ReturnType<typeof batchedDestination> & NodeJS.EventEmitter;

describe('batched log destination', () => {
  it('holds lines until the batch is full, then writes them in one go', async () => {
    const out = file();
    const dest = batchedDestination({ fd: out.fd, batchBytes: 30, batchMs: 60_000 }) as Boom;
    dest.write('a'.repeat(10) + '\n');
    dest.write('b'.repeat(10) + '\n');
    expect(out.read()).toBe('');
    const written = once(dest, 'write');
    dest.write('c'.repeat(10) + '\n');
    await written;
    expect(out.read()).toBe(`${'a'.repeat(10)}\n${'b'.repeat(10)}\n${'c'.repeat(10)}\n`);
  });

  it('writes a partial batch batchMs after its first line, and arms no timer while nothing waits', async () => {
    vi.useFakeTimers({ toFake: ['setTimeout', 'clearTimeout'] });
    const out = file();
    const dest = batchedDestination({ fd: out.fd, batchBytes: 4096, batchMs: 500 }) as Boom;
    expect(vi.getTimerCount()).toBe(0);
    dest.write('one\n');
    dest.write('two\n');
    expect(vi.getTimerCount()).toBe(1);
    vi.advanceTimersByTime(499);
    expect(out.read()).toBe('');
    const written = once(dest, 'write');
    vi.advanceTimersByTime(1);
    await written;
    expect(out.read()).toBe('one\ntwo\n');
    expect(vi.getTimerCount()).toBe(0);
  });

  it('a flush (as the shutdown does) writes what waits at once', async () => {
    const out = file();
    const dest = batchedDestination({ fd: out.fd, batchMs: 60_000 }) as Boom & { flush(cb: (e?: Error) => void): void };
    dest.write('last words\n');
    await new Promise<void>((resolve, reject) => dest.flush((e) => (e ? reject(e) : resolve())));
    expect(out.read()).toBe('last words\n');
  });
});
