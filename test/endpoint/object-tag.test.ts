import { describe, expect, it } from 'vitest';
import { objectTag } from '../../src/endpoint/object-tag.js';

describe('objectTag', () => {
  it('carries a value on the object that JSON, keys, symbols, spread and deep equality do not see', () => {
    const tag = objectTag<string>();
    const chunk = { id: 'c1', choices: [{ index: 0 }] };
    tag.set(chunk, '{"id":"c1"}');
    expect(tag.get(chunk)).toBe('{"id":"c1"}');
    expect(JSON.stringify(chunk)).toBe('{"id":"c1","choices":[{"index":0}]}');
    expect(Object.keys(chunk)).toEqual(['id', 'choices']);
    expect(Object.getOwnPropertySymbols(chunk)).toEqual([]);
    expect(Reflect.ownKeys(chunk)).toEqual(['id', 'choices']);
    expect(chunk).toStrictEqual({ id: 'c1', choices: [{ index: 0 }] });
    expect(tag.get({ ...chunk })).toBeUndefined();
  });

  it('replaces the value when set again, and keeps tags apart', () => {
    const a = objectTag<number>();
    const b = objectTag<number>();
    const o = {};
    a.set(o, 1);
    a.set(o, 2);
    b.set(o, 3);
    expect([a.get(o), b.get(o)]).toEqual([2, 3]);
  });

  it('leaves a frozen object alone and answers undefined for anything untagged', () => {
    const tag = objectTag<string>();
    const frozen = Object.freeze({ a: 1 });
    tag.set(frozen, 'x');
    expect(tag.get(frozen)).toBeUndefined();
    for (const v of [undefined, null, 1, 'text', {}, []]) expect(tag.get(v)).toBeUndefined();
  });
});
