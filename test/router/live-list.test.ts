import { describe, expect, it } from 'vitest';
import { LiveList } from '../../src/router/live-list.js';

describe('LiveList', () => {
  it('adds, removes through the handle (twice is harmless), and lists what is left, newest first', () => {
    const list = new LiveList<string>();
    const a = list.add('a');
    const b = list.add('b');
    const c = list.add('c');
    expect(list.values()).toEqual(['c', 'b', 'a']);
    b();
    b();
    expect(list.size).toBe(2);
    expect(list.values()).toEqual(['c', 'a']);
    a();
    c();
    expect(list.size).toBe(0);
    expect(list.values()).toEqual([]);
    list.add('d');
    expect(list.values()).toEqual(['d']);
  });

  it('values() is a copy: removing entries while going through it reaches every one', () => {
    const list = new LiveList<{ stop: () => void }>();
    const stopped: number[] = [];
    for (let i = 0; i < 5; i++) {
      const leave: () => void = list.add({ stop: () => (stopped.push(i), leave()) });
    }
    for (const entry of list.values()) entry.stop();
    expect(stopped.sort()).toEqual([0, 1, 2, 3, 4]);
    expect(list.size).toBe(0);
  });
});
