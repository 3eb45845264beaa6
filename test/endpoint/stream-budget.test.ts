import { describe, expect, it } from 'vitest';
import { CancelSource } from '../../src/endpoint/cancellation.js';
import { MemoryBudget } from '../../src/endpoint/memory-budget.js';
import { webEventStream } from '../../src/endpoint/web-stream.js';

/*
 * What a stream holds goes back to the router's budget however the stream ends: read to its end, aborted with
 * chunks still queued, or cut for an event over the limit. A budget that leaked would, in time, fail every
 * stream of the process.
 */

const event = (i: number) => `data: {"i":${i},"pad":"${'p'.repeat(100)}"}\n\n`;

function body(text: string, thenHang = false): ReadableStream<Uint8Array> {
  return new ReadableStream({
    start(c) {
      c.enqueue(new TextEncoder().encode(text));
      if (!thenHang) c.close();
    },
  });
}

const settle = async () => {
  for (let i = 0; i < 10; i++) await new Promise((r) => setImmediate(r));
};

describe('a stream and the memory budget', () => {
  it('gives everything back when read to its end', async () => {
    const budget = new MemoryBudget(1024 * 1024);
    const s = webEventStream(body(Array.from({ length: 20 }, (_, i) => event(i)).join('') + 'data: [DONE]\n\n'), new CancelSource(), { maxEventBytes: 1024, budget });
    let n = 0;
    for await (const _ of s) n++;
    expect(n).toBe(20);
    await settle();
    expect(budget.held()).toBe(0);
  });

  it('gives back the chunks still queued when the stream is aborted unread', async () => {
    const budget = new MemoryBudget(1024 * 1024);
    const s = webEventStream(body(Array.from({ length: 20 }, (_, i) => event(i)).join('') + 'data: {"half', true), new CancelSource(), { maxEventBytes: 1024, budget });
    await settle();
    expect(budget.held()).toBeGreaterThan(20 * 100);
    s.controller.abort();
    await settle();
    expect(budget.held()).toBe(0);
  });

  it('gives back an event cut at the limit, and fails past the budget without holding more', async () => {
    const budget = new MemoryBudget(1024 * 1024);
    const s = webEventStream(body(`data: {"x":"${'x'.repeat(5000)}`, true), new CancelSource(), { maxEventBytes: 1024, budget });
    await expect((async () => { for await (const _ of s) void _; })()).rejects.toThrow('stream event larger than 1024 characters');
    expect(budget.held()).toBe(0);
    const small = new MemoryBudget(500);
    const t = webEventStream(body(`data: {"x":"${'x'.repeat(800)}`, true), new CancelSource(), { maxEventBytes: 1024, budget: small });
    await expect((async () => { for await (const _ of t) void _; })()).rejects.toThrow(/limits.maxStreamBytes/);
    expect(small.held()).toBe(0);
  });
});
