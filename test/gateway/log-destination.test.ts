import { execFileSync, spawnSync } from 'node:child_process';
import { once } from 'node:events';
import { closeSync, constants, mkdtempSync, openSync, readFileSync, readSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { BatchedDestination } from '../../src/gateway/log-destination.js';

let dir: string | undefined;
const fds: number[] = [];
const dests: BatchedDestination[] = [];
afterEach(() => {
  vi.useRealTimers();
  for (const d of dests.splice(0)) d.close();
  for (const fd of fds.splice(0)) closeSync(fd);
  if (dir) rmSync(dir, { recursive: true, force: true });
  dir = undefined;
});

function tmp(): string {
  dir ??= mkdtempSync(join(tmpdir(), 'switchyard-log-'));
  return dir;
}

function file(): { fd: number; read: () => string } {
  const path = join(tmp(), 'out.log');
  const fd = openSync(path, 'w');
  fds.push(fd);
  return { fd, read: () => readFileSync(path, 'utf8') };
}

function destination(opts: ConstructorParameters<typeof BatchedDestination>[0]): BatchedDestination {
  const d = new BatchedDestination(opts);
  dests.push(d);
  return d;
}

const flushed = (d: BatchedDestination) => new Promise<Error | undefined>((resolve) => d.flush(resolve));

describe('batched log destination', () => {
  it('holds lines until the batch is full, then writes them in one go', async () => {
    const out = file();
    const dest = destination({ fd: out.fd, batchBytes: 30, batchMs: 60_000 });
    dest.write('a'.repeat(10) + '\n');
    dest.write('b'.repeat(10) + '\n');
    expect(out.read()).toBe('');
    const written = once(dest, 'write');
    dest.write('c'.repeat(10) + '\n');
    expect(await written).toEqual([33]);
    expect(out.read()).toBe(`${'a'.repeat(10)}\n${'b'.repeat(10)}\n${'c'.repeat(10)}\n`);
  });

  it('writes a partial batch batchMs after its first line, and arms no timer while nothing waits', async () => {
    vi.useFakeTimers({ toFake: ['setTimeout', 'clearTimeout'] });
    const out = file();
    const dest = destination({ fd: out.fd, batchBytes: 4096, batchMs: 500 });
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

  it('a flush (as the shutdown does) writes what waits at once, and calls back at once when nothing does', async () => {
    const out = file();
    const dest = destination({ fd: out.fd, batchMs: 60_000 });
    expect(await flushed(dest)).toBeUndefined();
    dest.write('last words\n');
    expect(await flushed(dest)).toBeUndefined();
    expect(out.read()).toBe('last words\n');
  });

  it('lines that arrive during a write go out in the next batch, in order', async () => {
    const out = file();
    const dest = destination({ fd: out.fd, batchBytes: 4, batchMs: 60_000 });
    const lines = Array.from({ length: 50 }, (_, i) => `line ${i}\n`);
    // The first line starts a write; the fs callback cannot run before this loop ends.
    for (const l of lines) dest.write(l);
    await flushed(dest);
    expect(out.read()).toBe(lines.join(''));
  });

  it('holds at most maxHeldBytes while a write is out, drops the rest and says how many', async () => {
    const out = file();
    const dest = destination({ fd: out.fd, batchBytes: 4, batchMs: 60_000, maxHeldBytes: 20 });
    expect(dest.write('first\n')).toBe(true); // written at once: the write is now out
    expect(dest.write('held 1\n')).toBe(true);
    expect(dest.write('held 2\n')).toBe(true);
    expect(dest.write('dropped\n')).toBe(false); // 7 + 7 + 8 > 20
    expect(dest.write('dropped\n')).toBe(false);
    expect(dest.write('ok\n')).toBe(true); // 7 + 7 + 3 fits
    await flushed(dest);
    const lines = out.read().trimEnd().split('\n');
    expect(lines.slice(0, 4)).toEqual(['first', 'held 1', 'held 2', 'ok']);
    expect(JSON.parse(lines[4]!)).toMatchObject({ level: 40, dropped: 2, msg: expect.stringContaining('dropped') });
    expect(lines).toHaveLength(5);
  });

  it('refuses options that make no sense, quoting the value', () => {
    expect(() => new BatchedDestination({ batchBytes: 0 })).toThrow(new RangeError('batchBytes must be a positive number, got 0'));
    expect(() => new BatchedDestination({ batchMs: Number.NaN })).toThrow(/batchMs .* got NaN/);
    expect(() => new BatchedDestination({ maxHeldBytes: -1 })).toThrow(/maxHeldBytes .* got -1/);
  });

  it('a destination that fails (bad fd) stops quietly: no throw, no unhandled error, the flush reports it', async () => {
    const dest = destination({ fd: 987_654, batchBytes: 4, batchMs: 60_000 });
    expect(dest.write('lost\n')).toBe(true);
    const err = await flushed(dest);
    expect(err).toMatchObject({ code: 'EBADF' });
    expect(dest.write('after\n')).toBe(false);
  });

  it('waits for a full pipe (EAGAIN) and writes everything once it drains', async () => {
    const fifo = join(tmp(), 'fifo');
    execFileSync('mkfifo', [fifo]);
    const reader = openSync(fifo, constants.O_RDONLY | constants.O_NONBLOCK);
    fds.push(reader);
    const writer = openSync(fifo, constants.O_WRONLY | constants.O_NONBLOCK);
    fds.push(writer);
    const dest = destination({ fd: writer, batchBytes: 1, batchMs: 60_000 });
    // Several pipe buffers' worth: the kernel takes part, then says EAGAIN until the reader reads.
    const line = `${'x'.repeat(1023)}\n`;
    const lines = 300;
    for (let i = 0; i < lines; i++) dest.write(line);
    let failed = false;
    const done = flushed(dest);
    void done.then((e) => (failed = e !== undefined));
    let got = '';
    const buf = Buffer.alloc(65_536);
    const deadline = Date.now() + 10_000;
    while (got.length < lines * line.length && !failed && Date.now() < deadline) {
      try {
        got += buf.toString('utf8', 0, readSync(reader, buf));
      } catch (e) {
        if ((e as NodeJS.ErrnoException).code !== 'EAGAIN') throw e;
        await new Promise((r) => setTimeout(r, 5));
      }
    }
    expect(await done).toBeUndefined();
    expect(got).toBe(line.repeat(lines));
  });

  it('writes what it still holds when the process exits', () => {
    const script = `
      import { BatchedDestination } from './src/gateway/log-destination.ts';
      const d = new BatchedDestination({ batchMs: 60_000 });
      d.write('held until exit\\n');
      process.exit(0);
    `;
    const r = spawnSync(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', script], { encoding: 'utf8', timeout: 30_000 });
    expect(r.stderr).toBe('');
    expect(r.stdout).toBe('held until exit\n');
  });
});
