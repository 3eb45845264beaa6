import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { ask, TRANSPORTS, useTransport } from './helpers.js';
import { completion, json, oddRig, type Answer, type OddRig } from './odd-provider.js';

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
