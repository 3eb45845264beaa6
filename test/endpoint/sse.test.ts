import { APIError } from 'openai';
import { describe, expect, it } from 'vitest';
import { InvalidResponseError } from '../../src/endpoint/classify.js';
import { MemoryBudget, MemoryBudgetError } from '../../src/endpoint/memory-budget.js';
import { completeUtf8, providerJson, SseParser, type SseEvent } from '../../src/endpoint/sse.js';

function parse(pieces: (string | Buffer)[], maxEventChars?: number): { events: SseEvent<unknown>[]; error?: unknown } {
  const parser = new SseParser<unknown>(maxEventChars);
  const events: SseEvent<unknown>[] = [];
  try {
    // Sizes are checked on their own below.
    for (const p of pieces) parser.push(typeof p === 'string' ? Buffer.from(p) : p, (e) => events.push(e.kind === 'chunk' ? ({ kind: 'chunk', value: e.value } as SseEvent<unknown>) : e));
  } catch (error) {
    return { events, error };
  }
  return { events };
}

describe('SseParser', () => {
  it('reads data events split anywhere across reads, with LF, CRLF or a lone CR, ignoring comments and other fields', () => {
    const text = ': keep-alive\r\n\r\nevent: x\ndata: {"a":1}\n\ndata:{"a":2}\r\n\r\ndata: {"a":\r\ndata: 3}\r\rdata: [DONE]\n\n';
    for (let cut = 0; cut < text.length; cut++) {
      for (const pieces of [[text.slice(0, cut), text.slice(cut)], [text.slice(0, cut), text.slice(cut, cut + 1), text.slice(cut + 1)]]) {
        expect(parse(pieces).events).toEqual([
          { kind: 'chunk', value: { a: 1 } },
          { kind: 'chunk', value: { a: 2 } },
          { kind: 'chunk', value: { a: 3 } },
          { kind: 'done' },
        ]);
      }
    }
  });

  // As the SDK's line decoder reads it: a CR inside a data line ends it, and what follows is a line of its own.
  it('ends a line at a lone CR, so a CR inside a data line splits it', () => {
    const r = parse(['data: {"a":1}\n\ndata: {"a":\r4}\n\n']);
    expect(r.events).toEqual([{ kind: 'chunk', value: { a: 1 } }]);
    expect(r.error).toBeInstanceOf(SyntaxError);
  });

  it('reads a line that comes in many pieces as one event once its end arrives', () => {
    const value = 'v'.repeat(2_000);
    const text = `data: {"a":"${value}"}\n\n`;
    const pieces = Array.from({ length: Math.ceil(text.length / 7) }, (_, i) => text.slice(i * 7, i * 7 + 7));
    expect(parse(pieces).events).toEqual([{ kind: 'chunk', value: { a: value } }]);
    // Pieces that end mid-line after a finished event: the event goes out at once, the rest is held.
    const r = parse(['data: {"a":1}\n\ndata: {"b', '":2}', '\n', '\n']);
    expect(r.events).toEqual([
      { kind: 'chunk', value: { a: 1 } },
      { kind: 'chunk', value: { b: 2 } },
    ]);
  });

  it('keeps a multi-byte character split between two reads', () => {
    const bytes = Buffer.from('data: {"t":"héllo ✓"}\n\n');
    const at = bytes.indexOf(0xe2) + 1; // inside ✓
    expect(parse([bytes.subarray(0, at), bytes.subarray(at)]).events).toEqual([{ kind: 'chunk', value: { t: 'héllo ✓' } }]);
  });

  it('keeps 2-, 3- and 4-byte characters whole however the reads split them, one byte at a time included', () => {
    const text = 'data: {"t":"é ✓ 😀 ok"}\n\n';
    const bytes = Buffer.from(text);
    const want = [{ kind: 'chunk', value: { t: 'é ✓ 😀 ok' } }];
    for (let at = 1; at < bytes.length; at++) {
      for (let at2 = at + 1; at2 <= Math.min(bytes.length, at + 3); at2++) {
        expect(parse([bytes.subarray(0, at), bytes.subarray(at, at2), bytes.subarray(at2)]).events).toEqual(want);
      }
    }
    expect(parse([...bytes].map((b) => Buffer.from([b]))).events).toEqual(want);
  });

  it('decodes invalid UTF-8 as U+FFFD, as a streaming decoder would', () => {
    const bytes = Buffer.concat([Buffer.from('data: {"t":"a'), Buffer.from([0xff, 0x80]), Buffer.from('b"}\n\n')]);
    expect(parse([bytes]).events).toEqual([{ kind: 'chunk', value: { t: 'a\ufffd\ufffdb' } }]);
    expect(completeUtf8(Buffer.from([0x61, 0xe2, 0x9c]))).toBe(1);
    expect(completeUtf8(Buffer.from([0x61, 0xe2, 0x9c, 0x93]))).toBe(4);
    expect(completeUtf8(Buffer.from([0x80, 0x80, 0x80, 0x80]))).toBe(4);
    expect(completeUtf8(Buffer.from([0xf0, 0x9f, 0x98]))).toBe(0);
  });

  it("keeps each chunk's own JSON text for a proxy to send on, when it came as one line", () => {
    const oneLine = '{ "b": 2,  "a": [1, 2] }';
    const { events } = parse([`data: ${oneLine}\r\n\r\ndata: {"a":\ndata: 3}\n\n`]);
    const values = events.map((e) => (e.kind === 'chunk' ? (e.value as object) : undefined));
    expect(providerJson(values[0]!)).toBe(oneLine);
    // Kept out of sight: the chunk serialises, lists its keys and compares as the plain parsed object.
    expect(JSON.stringify(values[0])).toBe('{"b":2,"a":[1,2]}');
    expect(Object.keys(values[0]!)).toEqual(['b', 'a']);
    expect(values[0]).toStrictEqual({ b: 2, a: [1, 2] });
    // Two data lines: the text holds a newline and cannot be framed as one line again.
    expect(providerJson(values[1]!)).toBeUndefined();
    expect(providerJson({ b: 2, a: [1, 2] })).toBeUndefined();
  });

  it('joins multi-line data', () => {
    expect(parse(['data: {"a":\ndata: 3}\n\n']).events).toEqual([{ kind: 'chunk', value: { a: 3 } }]);
  });

  it('throws SyntaxError for an event that is not JSON, after the events before it', () => {
    const r = parse(['data: {"a":1}\n\ndata: {nope\n\n']);
    expect(r.events).toEqual([{ kind: 'chunk', value: { a: 1 } }]);
    expect(r.error).toBeInstanceOf(SyntaxError);
  });

  it('throws APIError for an error event (the provider failing mid-answer)', () => {
    const r = parse(['data: {"error":{"message":"overloaded","type":"server_error"}}\n\n']);
    expect(r.error).toBeInstanceOf(APIError);
    expect((r.error as APIError).message).toContain('overloaded');
  });
  it('throws InvalidResponseError when an unfinished event holds more than its limit: its data lines and the line being read count', () => {
    const limit = 40;
    // The limit is on what is held between reads: events that arrive whole pass, and each event counts anew.
    const ok = parse([`data: {"a":"${'x'.repeat(30)}"}\n\n`, `data: {"b":"${'y'.repeat(30)}"}\n\n`], limit);
    expect(ok.error).toBeUndefined();
    expect(ok.events).toHaveLength(2);
    // One line that never ends, read in pieces.
    const long = parse(['data: {"a":1}\n\ndata: {"b":"', 'z'.repeat(20), 'z'.repeat(20)], limit);
    expect(long.events).toEqual([{ kind: 'chunk', value: { a: 1 } }]);
    expect(long.error).toBeInstanceOf(InvalidResponseError);
    // Many short data lines of one event that never ends.
    const lines = parse([Array.from({ length: 10 }, () => 'data: 12345\n').join('')], limit);
    expect(lines.error).toBeInstanceOf(InvalidResponseError);
  });

  it('gives each chunk the size of its JSON text', () => {
    const sizes: number[] = [];
    new SseParser<unknown>().push(Buffer.from('data: {"a":1}\n\ndata: {"bb":22}\n\n'), (e) => e.kind === 'chunk' && sizes.push(e.size));
    expect(sizes).toEqual([7, 9]);
  });

  it('holds its unfinished event in the shared budget, gives it back as events complete, and fails past it', () => {
    const budget = new MemoryBudget(100);
    const a = new SseParser<unknown>(Number.POSITIVE_INFINITY, budget);
    const b = new SseParser<unknown>(Number.POSITIVE_INFINITY, budget);
    const none = () => undefined;
    a.push(Buffer.from(`data: {"x":"${'a'.repeat(40)}`), none);
    expect(budget.held()).toBe(52);
    b.push(Buffer.from(`data: {"y":"${'b'.repeat(20)}`), none);
    expect(budget.held()).toBe(84);
    // The next read would take the two past 100: this stream fails, the other goes on.
    expect(() => b.push(Buffer.from('c'.repeat(20)), none)).toThrow(MemoryBudgetError);
    a.push(Buffer.from('"}\n\n'), none);
    expect(budget.held()).toBe(32);
    b.release();
    expect(budget.held()).toBe(0);
    a.release();
    expect(budget.held()).toBe(0);
  });
});
