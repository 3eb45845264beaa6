import { describe, expect, it } from 'vitest';
import { parseFaultSpec } from '../../src/simulator/faults.js';
import { activeOutage, pickFault, resultLabel } from '../../src/simulator/pick.js';
import { mulberry32 } from '../../src/simulator/random.js';
import { splitInto } from '../../src/simulator/responses.js';
import { jsonAnswer } from '../../src/simulator/json-answer.js';

describe('parseFaultSpec', () => {
  it('accepts a full spec', () => {
    const spec = {
      statusRates: { '500': 0.25, '429': 0.25 },
      retryAfterSeconds: 3,
      hang: 0.1,
      reset: 0.1,
      malformed: 0.05,
      empty: 0.05,
      cut: 0.05,
      cutAfterChunks: 2,
      notJson: 0.05,
      latencyMs: 5,
      jitterMs: 5,
      chunks: 4,
      chunkDelayMs: 1,
      firstTokenDelayMs: 1,
      outages: [{ afterMs: 0, durationMs: 5, everyMs: 10, fault: { kind: 'cut' as const, afterChunks: 1 } }],
      requireApiKey: 'k',
      content: 'fixed',
    };
    expect(parseFaultSpec(spec)).toEqual(spec);
  });

  it.each([
    [{ statusRates: { '200': 0.1 } }, /statusRates\.200: keys must be HTTP statuses/],
    [{ statusRates: { '500': 0.7 }, hang: 0.5 }, /probabilities add up to 1\.2/],
    [{ always: { kind: 'explode' } }, /faults\.always\.kind: .*got "explode"/],
    [{ always: { kind: 'hang', delayMs: 1 } }, /faults\.always: unknown field "delayMs"/],
    [{ outages: [{ afterMs: 0, durationMs: 10, everyMs: 10, fault: { kind: 'reset' } }] }, /faults\.outages\.0\.everyMs: everyMs must be greater/],
    [{ chunks: 0 }, /faults\.chunks: .*got 0/],
    [{ latencyMs: '5' }, /faults\.latencyMs: .*got "5"/],
    [{ surprise: true }, /faults: unknown field "surprise"/],
    ['nope', /faults: .*got "nope"/],
  ])('rejects %j', (input, message) => {
    expect(() => parseFaultSpec(input)).toThrow(RangeError);
    expect(() => parseFaultSpec(input)).toThrow(message);
  });
});

describe('pickFault', () => {
  it('injects each fault at roughly its rate', () => {
    const spec = parseFaultSpec({ statusRates: { '503': 0.2 }, hang: 0.1, notJson: 0.3 });
    const rng = mulberry32(99);
    const counts: Record<string, number> = {};
    const n = 20_000;
    for (let i = 0; i < n; i++) {
      const label = resultLabel(pickFault(spec, 0, rng));
      counts[label] = (counts[label] ?? 0) + 1;
    }
    expect(counts.status_503! / n).toBeCloseTo(0.2, 1);
    expect(counts.hang! / n).toBeCloseTo(0.1, 1);
    expect(counts.not_json! / n).toBeCloseTo(0.3, 1);
    expect(counts.ok! / n).toBeCloseTo(0.4, 1);
  });

  it('draws once per request whatever the spec, so faults line up across specs', () => {
    const a = mulberry32(5);
    const b = mulberry32(5);
    pickFault({ always: { kind: 'reset' } }, 0, a);
    pickFault({}, 0, b);
    expect(a()).toBe(b());
  });

  it('gives probabilistic cuts their configured chunk count', () => {
    expect(pickFault({ cut: 1, cutAfterChunks: 3 }, 0, mulberry32(1))).toEqual({ kind: 'cut', afterChunks: 3 });
  });
});

describe('activeOutage', () => {
  const fault = { kind: 'hang' as const };
  it('is open in [afterMs, afterMs + durationMs), repeating every everyMs', () => {
    const outages = [{ afterMs: 100, durationMs: 20, everyMs: 50, fault }];
    expect([99, 100, 119, 120, 149, 150, 169, 170].map((t) => activeOutage(outages, t) !== undefined)).toEqual([
      false, true, true, false, false, true, true, false,
    ]);
  });
});

describe('answer helpers', () => {
  it('splits text into n non-empty pieces that join back', () => {
    expect(splitInto('abcdefg', 3).join('')).toBe('abcdefg');
    expect(splitInto('abcdefg', 3).every((p) => p.length > 0)).toBe(true);
    expect(splitInto('{}', 4).join('').trim()).toBe('{}');
    expect(splitInto('{}', 4).every((p) => p.length > 0)).toBe(true);
  });

  it('follows nested schemas and gives up on runaway depth', () => {
    const nested = { type: 'object', properties: { n: { type: 'integer', minimum: 3 }, ok: { type: ['boolean', 'null'] }, tag: { const: 'x' } } };
    expect(JSON.parse(jsonAnswer('t', nested))).toEqual({ n: 3, ok: true, tag: 'x' });
    const deep: Record<string, unknown> = { type: 'object', properties: {} };
    (deep.properties as Record<string, unknown>).self = deep;
    expect(() => JSON.parse(jsonAnswer('t', deep))).not.toThrow();
  });
});
