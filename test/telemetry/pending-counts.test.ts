import { Counter, Registry } from 'prom-client';
import { describe, expect, it } from 'vitest';
import { PendingCounts } from '../../src/telemetry/pending-counts.js';

async function values(c: Counter<string>) {
  return (await c.get()).values.map((v) => [v.labels, v.value]);
}

describe('pending counter increments', () => {
  it('sums per series and hands the sums to the counter on every read, through its collect', async () => {
    const registry = new Registry();
    let pending: PendingCounts<'route' | 'endpoint' | 'outcome'> | undefined;
    const counter = new Counter({
      name: 'x_total',
      help: 'x',
      labelNames: ['route', 'endpoint', 'outcome'],
      registers: [registry],
      collect: () => pending?.flush(),
    });
    pending = new PendingCounts(counter, ['route', 'endpoint', 'outcome']);
    pending.add(1, 'chat', 'a', 'success');
    pending.add(2, 'chat', 'a', 'success');
    pending.add(1, 'chat', 'b', 'timeout');
    expect(await values(counter)).toEqual([
      [{ route: 'chat', endpoint: 'a', outcome: 'success' }, 3],
      [{ route: 'chat', endpoint: 'b', outcome: 'timeout' }, 1],
    ]);
    pending.add(1, 'chat', 'a', 'success');
    expect(await registry.metrics()).toContain('x_total{route="chat",endpoint="a",outcome="success"} 4');
    // Nothing pending: a read changes nothing.
    expect(await values(counter)).toEqual([
      [{ route: 'chat', endpoint: 'a', outcome: 'success' }, 4],
      [{ route: 'chat', endpoint: 'b', outcome: 'timeout' }, 1],
    ]);
  });

  it('takes two label values as well as three', async () => {
    const counter = new Counter({ name: 'y_total', help: 'y', labelNames: ['endpoint', 'type'], registers: [] });
    const pending = new PendingCounts(counter, ['endpoint', 'type']);
    pending.add(10, 'a', 'input');
    pending.add(5, 'a', 'output');
    pending.add(1, 'a', 'input');
    pending.flush();
    expect(await values(counter)).toEqual([
      [{ endpoint: 'a', type: 'input' }, 11],
      [{ endpoint: 'a', type: 'output' }, 5],
    ]);
  });

  it('refuses a bad increment when it is added, so a later read cannot fail on it', async () => {
    const counter = new Counter({ name: 'z_total', help: 'z', labelNames: ['endpoint', 'type'], registers: [] });
    const pending = new PendingCounts(counter, ['endpoint', 'type']);
    expect(() => pending.add(-5, 'a', 'input')).toThrow(new RangeError('a counter increment must be a finite number >= 0, got -5'));
    expect(() => pending.add(Number.NaN, 'a', 'input')).toThrow(/got NaN/);
    expect(() => pending.add(1, 'a', 'input', 'extra')).toThrow(/expected 2 label values/);
    pending.add(1, 'a', 'input');
    expect(() => pending.flush()).not.toThrow();
    expect(await values(counter)).toEqual([[{ endpoint: 'a', type: 'input' }, 1]]);
  });
});
