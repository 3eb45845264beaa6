import { afterEach, describe, expect, it } from 'vitest';
import type { ResponseStreamEvent } from 'openai/resources/responses/responses';
import { json, oddRig, type Answer, type OddRig } from './odd-provider.js';

// A broken or hostile provider on the new paths: each odd answer is a failed attempt, fallen back from.

let r: OddRig | undefined;
afterEach(async () => {
  await r?.close();
  r = undefined;
});

const named = (events: object[], end = true): Answer => (res) => {
  res.writeHead(200, { 'content-type': 'text/event-stream' });
  res.write(events.map((e) => `event: ${(e as { type?: string }).type ?? 'x'}\ndata: ${JSON.stringify(e)}\n\n`).join(''));
  if (end) res.end();
};
const created = { type: 'response.created', sequence_number: 0, response: { id: 'resp_odd', object: 'response', output: [] } };

async function drain(stream: AsyncIterable<ResponseStreamEvent>) {
  const types: string[] = [];
  for await (const e of stream) types.push(e.type);
  return types;
}

describe('odd Responses streams fall back before anything reaches the caller', () => {
  it.each<[string, Answer, string]>([
    ['an error event before any output', named([created, { type: 'error', sequence_number: 1, code: 'server_error', message: 'boom', param: null }]), 'server_error'],
    ['response.failed before any output', named([created, { type: 'response.failed', sequence_number: 1, response: { id: 'r', output: [], status: 'failed' } }]), 'server_error'],
    ['events that are not objects', named([created, 42 as unknown as object]), 'invalid_response'],
    ['a stream that ends after response.created', named([created]), 'invalid_response'],
    ['a completed response with no output', named([created, { type: 'response.completed', sequence_number: 1, response: { id: 'r', output: [], status: 'completed' } }]), 'invalid_response'],
  ])('%s', async (_what, answer, outcome) => {
    r = await oddRig(answer, 'native');
    const routed = await r.router.dispatchResponses({ model: 'chat', input: 'x', stream: true });
    expect(routed.endpoint).toBe('fallback');
    expect((await drain(routed.response)).at(-1)).toBe('response.completed');
    expect(r.attempts.map((a) => `${a.endpoint}:${a.outcome}`)).toEqual([`odd:${outcome}`, 'fallback:success']);
  });

  it('a stream that goes silent before any output times out and falls back', async () => {
    r = await oddRig(named([created], false), 'native', { firstTokenTimeoutMs: 200 });
    const routed = await r.router.dispatchResponses({ model: 'chat', input: 'x', stream: true });
    expect(routed.endpoint).toBe('fallback');
    expect(r.attempts[0]!.outcome).toBe('timeout');
    await drain(routed.response);
  });
});

describe('odd plain answers', () => {
  it.each<[string, string]>([
    ['a response the provider marks failed', JSON.stringify({ id: 'r', object: 'response', status: 'failed', output: [] })],
    ['a response that is not one', JSON.stringify({ hello: 'world' })],
    ['an embeddings list of the wrong length', JSON.stringify({ object: 'list', data: [{ object: 'embedding', index: 0, embedding: [1] }] })],
  ])('%s is invalid_response, fallen back from', async (what, body) => {
    r = await oddRig(json(body), 'native');
    const routed = what.includes('embeddings')
      ? await r.router.dispatchEmbeddings({ model: 'chat', input: ['a', 'b'] })
      : await r.router.dispatchResponses({ model: 'chat', input: 'x' });
    expect(routed.endpoint).toBe('fallback');
    expect(r.attempts[0]!.outcome).toBe('invalid_response');
  });
});
