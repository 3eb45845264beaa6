import { describe, expect, it } from 'vitest';
import { SerializedBody } from '../../src/endpoint/serialized-body.js';

describe('SerializedBody', () => {
  it('gives each endpoint the body with its own model and stream flag, the rest as JSON.stringify wrote it', () => {
    const params = { model: 'route', messages: [{ role: 'user', content: 'hi "there"' }], temperature: 0.5, stream: true };
    const s = new SerializedBody(params);
    expect(JSON.parse(s.text('gpt-4o', false))).toEqual({ ...params, model: 'gpt-4o', stream: false });
    expect(JSON.parse(s.text('a"b', true))).toEqual({ ...params, model: 'a"b', stream: true });
    expect(JSON.parse(new SerializedBody({ model: 'x' }).text('y', true))).toEqual({ model: 'y', stream: true });
  });

  it('throws what JSON.stringify throws, before any attempt', () => {
    const cyclic: Record<string, unknown> = {};
    cyclic.self = cyclic;
    expect(() => new SerializedBody({ metadata: cyclic })).toThrow(TypeError);
    expect(() => new SerializedBody({ seed: BigInt(1) })).toThrow(TypeError);
  });
});
