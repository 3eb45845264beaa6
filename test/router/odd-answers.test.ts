import type { ChatCompletionChunk } from 'openai/resources/chat/completions';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { ask, TRANSPORTS, useTransport } from './helpers.js';
import { chunk, completion, json, oddRig, sse, type Answer, type OddRig } from './odd-provider.js';

let r: OddRig | undefined;
afterEach(async () => {
  await r?.close();
  r = undefined;
});

const plainCases: [string, string, Answer][] = [
  ['a JSON array', 'invalid_response', json('[1,2]')],
  ['JSON null', 'invalid_response', json('null')],
  ['a JSON number', 'invalid_response', json('42')],
  ['choices that are not an array', 'invalid_response', json('{"choices":{}}')],
  ['no choices', 'invalid_response', json('{"choices":[]}')],
  ['a null choice', 'invalid_response', json('{"choices":[null]}')],
  ['a 200 with an HTML body', 'invalid_response', json('<html>hi</html>', { 'content-type': 'text/html' })],
  ['a completion with no content type', 'invalid_response', json(completion(), {})],
  // The SDK reads JSON only from an application/json or +json media type; the native transport must agree.
  ['a completion as text/json', 'invalid_response', json(completion(), { 'content-type': 'text/json' })],
  ['a 500 with an HTML body', 'server_error', json('<html>oops</html>', { 'content-type': 'text/html' }, 500)],
];

describe.each(TRANSPORTS)('%s transport', (transport) => {
  beforeEach(() => useTransport(transport));

  describe('plain answers that are not a chat completion', () => {
    it.each(plainCases)('%s is %s and falls back', async (_name, outcome, answer) => {
      r = await oddRig(answer, transport);
      const res = await r.router.dispatch(ask);
      expect(res.endpoint).toBe('fallback');
      expect(r.attempts.map((a) => a.outcome)).toEqual([outcome, 'success']);
    });

    it('a completion of a +json media type with parameters is read as JSON', async () => {
      r = await oddRig(json(completion('fine'), { 'content-type': 'application/vnd.x+json; charset=utf-8' }), transport);
      const res = await r.router.dispatch(ask);
      expect(res).toMatchObject({ endpoint: 'odd', response: { choices: [{ message: { content: 'fine' } }] } });
    });
  });
});

const streamAsk = { ...ask, stream: true as const };

/** Reads a stream to its end: the content seen, each chunk's model, and the error it ended with. */
async function read(stream: AsyncIterable<ChatCompletionChunk>): Promise<{ text: string; shapes: string[]; models: string[]; error?: unknown }> {
  let text = '';
  const shapes: string[] = [];
  const models: string[] = [];
  try {
    for await (const c of stream) {
      shapes.push(c === null ? 'null' : Array.isArray(c) ? 'array' : typeof c);
      models.push(c?.model);
      text += c?.choices?.[0]?.delta?.content ?? '';
    }
  } catch (error) {
    return { text, shapes, models, error };
  }
  return { text, shapes, models };
}

describe.each(TRANSPORTS)('%s transport', (transport) => {
  beforeEach(() => useTransport(transport));

  describe('stream events that are not chunks', () => {
    it.each([['a number', '42'], ['a string', '"s"'], ['an array', '[1]'], ['null', 'null'], ['choices not an array', '{"choices":{}}'], ['a null choice', '{"choices":[null]}']])(
      '%s before the first content is invalid_response and falls back: the caller sees only chunk objects',
      async (_name, event) => {
        r = await oddRig(sse([event, chunk({ content: 'odd' }), chunk({}, 'stop'), '[DONE]']), transport);
        const res = await r.router.dispatch(streamAsk);
        const out = await read(res.response);
        expect(out.error).toBeUndefined();
        expect(new Set(out.shapes)).toEqual(new Set(['object']));
        expect(new Set(out.models)).toEqual(new Set(['model-b']));
        expect(r.attempts).toEqual([
          { endpoint: 'odd', outcome: 'invalid_response', message: 'stream event is not a chat completion chunk' },
          { endpoint: 'fallback', outcome: 'success', message: undefined },
        ]);
      },
    );

    it('one after the first content ends the stream with an error, never handed to the caller', async () => {
      r = await oddRig(sse([chunk({ content: 'odd' }), '42', chunk({}, 'stop'), '[DONE]']), transport);
      const out = await read((await r.router.dispatch(streamAsk)).response);
      expect(out.shapes).toEqual(['object']);
      expect(out.error).toMatchObject({ code: 'stream_interrupted', endpoint: 'odd', outcome: 'invalid_response' });
      expect(r.attempts.map((a) => a.outcome)).toEqual(['invalid_response']);
    });
  });
});

describe.each(TRANSPORTS)('%s transport', (transport) => {
  beforeEach(() => useTransport(transport));

  describe('streams of several choices (n > 1)', () => {
    it('succeed when every choice finishes', async () => {
      r = await oddRig(sse([chunk({ content: 'a' }, null, 0), chunk({ content: 'b' }, null, 1), chunk({}, 'stop', 0), chunk({}, 'stop', 1), '[DONE]']), transport);
      const out = await read((await r.router.dispatch({ ...streamAsk, n: 2 })).response);
      expect(out.error).toBeUndefined();
      expect(r.attempts.map((a) => a.outcome)).toEqual(['success']);
    });

    it('end with an error, counted, when one choice never finishes: one finish_reason does not make the others whole', async () => {
      r = await oddRig(sse([chunk({ content: 'a' }, null, 0), chunk({ content: 'b' }, null, 1), chunk({}, 'stop', 0)]), transport);
      const out = await read((await r.router.dispatch({ ...streamAsk, n: 2 })).response);
      expect(out.error).toMatchObject({ code: 'stream_interrupted', endpoint: 'odd', outcome: 'invalid_response' });
      expect(r.attempts.map((a) => a.outcome)).toEqual(['invalid_response']);
    });
  });
});

describe.each(TRANSPORTS)('%s transport', (transport) => {
  beforeEach(() => useTransport(transport));

  it('a stream whose provider keeps the connection open after [DONE] ends there, a success', async () => {
    r = await oddRig(sse([chunk({ content: 'a' }), chunk({}, 'stop'), '[DONE]'], false), transport);
    const out = await read((await r.router.dispatch(streamAsk)).response);
    expect(out.error).toBeUndefined();
    expect(out.text).toBe('a');
    expect(r.attempts.map((a) => a.outcome)).toEqual(['success']);
  });
});
