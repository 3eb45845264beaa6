import { describe, expect, it } from 'vitest';
import { PushedStream } from '../../src/endpoint/pushed-stream.js';

function stream(highWater = 3) {
  const log: string[] = [];
  const s = new PushedStream<number>({ highWater, pause: () => log.push('pause'), resume: () => log.push('resume'), stopped: () => log.push('stopped') });
  return { s, log };
}

describe('PushedStream', () => {
  it('hands items to a waiting reader and queues them for a busy one, in order', async () => {
    const { s } = stream(10);
    const first = s.next();
    s.push(1);
    s.push(2);
    s.push(3);
    s.end();
    expect(await first).toEqual({ done: false, value: 1 });
    expect(await s.next()).toEqual({ done: false, value: 2 });
    expect(await s.next()).toEqual({ done: false, value: 3 });
    expect(await s.next()).toEqual({ done: true, value: undefined });
    s.push(4);
    expect(await s.next()).toEqual({ done: true, value: undefined });
  });

  it('pauses the producer at the high-water mark and resumes it once the reader caught up', async () => {
    const { s, log } = stream(2);
    s.push(1);
    expect(log).toEqual([]);
    s.push(2);
    expect(log).toEqual(['pause']);
    s.push(3);
    await s.next();
    await s.next();
    expect(log).toEqual(['pause']);
    await s.next();
    expect(log).toEqual(['pause', 'resume']);
  });

  it('delivers an error after the items queued before it, to a waiting reader too', async () => {
    const { s } = stream();
    s.push(1);
    s.fail(new Error('cut'));
    expect(await s.next()).toEqual({ done: false, value: 1 });
    await expect(s.next()).rejects.toThrow('cut');
    const { s: s2 } = stream();
    const waiting = s2.next();
    s2.fail(new Error('cut'));
    await expect(waiting).rejects.toThrow('cut');
  });

  it('a reader that stops early tells the producer once; after a normal end it does not', async () => {
    const { s, log } = stream();
    s.push(1);
    await s.return();
    await s.return();
    expect(log).toEqual(['stopped']);
    expect(await s.next()).toEqual({ done: true, value: undefined });
    const { s: s2, log: log2 } = stream();
    s2.end();
    await s2.return();
    expect(log2).toEqual([]);
  });
});
