import { describe, expect, it } from 'vitest';
import { FencedEmitter } from '../../src/router/fenced-events.js';
import type { RequestInfo } from '../../src/router/events.js';

const info = { id: '1', route: 'chat', stream: false, startedAt: 0 } as RequestInfo;

describe('FencedEmitter', () => {
  it('follows listeners added and removed (on, off, once, removeAllListeners), a change during an emit from the next one', () => {
    const e = new FencedEmitter();
    const calls: string[] = [];
    const a = () => void calls.push('a');
    const b = () => void calls.push('b');
    expect(e.emit('request:start', info)).toBe(false);
    e.on('request:start', a);
    e.emit('request:start', info);
    e.once('request:start', b);
    e.emit('request:start', info);
    e.emit('request:start', info);
    e.off('request:start', a);
    expect(e.emit('request:start', info)).toBe(false);
    expect(calls).toEqual(['a', 'a', 'b', 'a']);
    const late = () => void calls.push('late');
    e.on('request:start', () => {
      calls.push('adder');
      e.on('request:start', late);
    });
    e.emit('request:start', info);
    expect(calls.slice(4)).toEqual(['adder']);
    e.emit('request:start', info);
    expect(calls.slice(5)).toEqual(['adder', 'late']);
    e.removeAllListeners('request:start');
    expect(e.emit('request:start', info)).toBe(false);
    // Everything removed: listeners added after it are still seen.
    e.on('request:start', a);
    e.emit('request:start', info);
    e.removeAllListeners();
    expect(e.emit('request:start', info)).toBe(false);
    e.on('request:start', b);
    e.emit('request:start', info);
    expect(calls.slice(-2)).toEqual(['a', 'b']);
  });

  it('a throwing listener does not stop the ones after it', () => {
    const e = new FencedEmitter();
    const seen: string[] = [];
    e.on('request:start', () => {
      throw new Error('boom');
    });
    e.on('request:start', () => void seen.push('after'));
    expect(e.emit('request:start', info)).toBe(true);
    expect(seen).toEqual(['after']);
  });
});
