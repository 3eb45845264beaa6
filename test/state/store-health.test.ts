import { describe, expect, it } from 'vitest';
import { StoreHealth } from '../../src/state/store-health.js';

function watched() {
  const h = new StoreHealth();
  const seen: [boolean, string | undefined][] = [];
  h.onChange((up, reason) => seen.push([up, reason]));
  return { h, seen };
}
const refused = Object.assign(new Error('connect ECONNREFUSED redis://:hunter2@10.0.0.1:6379'), { code: 'ECONNREFUSED' });

describe('StoreHealth', () => {
  it('unknown until told; a close before any answer says nothing, a failed connect says down, with its code only', () => {
    const { h, seen } = watched();
    expect(h.up).toBeUndefined();
    h.disconnected();
    expect(h.up).toBeUndefined();
    h.disconnected(refused);
    expect(h.up).toBe(false);
    expect(seen).toEqual([[false, 'ECONNREFUSED']]);
  });

  it('down after three failed commands in a row, not after two; an answer in between starts the count again', () => {
    const { h, seen } = watched();
    h.answered();
    h.failed(new Error('timeout'));
    h.failed(new Error('timeout'));
    h.answered();
    h.failed(new Error('timeout'));
    h.failed(new Error('timeout'));
    expect(h.up).toBe(true);
    h.failed(Object.assign(new Error('Command timed out'), { name: 'TimeoutError' }));
    expect(h.up).toBe(false);
    h.answered();
    expect(seen).toEqual([[true, undefined], [false, 'TimeoutError'], [true, undefined]]);
  });

  it('failed commands before the first answer do not make it down (the connection tells that)', () => {
    const { h } = watched();
    for (let i = 0; i < 5; i++) h.failed(new Error('refused while connecting'));
    expect(h.up).toBeUndefined();
  });

  it('reports nothing once closed, and a listener removed hears nothing', () => {
    const { h, seen } = watched();
    const other: boolean[] = [];
    const off = h.onChange((up) => other.push(up));
    off();
    h.answered();
    h.close();
    h.disconnected(refused);
    expect(seen).toEqual([[true, undefined]]);
    expect(other).toEqual([]);
  });

  it('told: a command that answers gives its value and counts as an answer; one that fails gives undefined and counts as a failure', async () => {
    const { h } = watched();
    expect(await h.told(Promise.resolve('claude'))).toBe('claude');
    expect(h.up).toBe(true);
    for (let i = 0; i < 3; i++) expect(await h.told(Promise.reject(new Error('timeout')))).toBeUndefined();
    expect(h.up).toBe(false);
  });
});
