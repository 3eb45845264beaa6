import { APIError } from 'openai';
import type { ChatCompletionCreateParams } from 'openai/resources/chat/completions';
import { describe, expect, it } from 'vitest';
import { isAllAttemptsFailedError, isUpstreamClientError } from '../../src/index.js';
import type { PoisonCase } from './fake-provider.js';
import { rigPerTest, user, type AttributionRig } from './harness.js';

/*
 * Issue 17, guarantee 1: no request a client can send opens a circuit that other clients' requests would find
 * healthy. Each poison request is sent 20 times by one client, each followed by an innocent request, through
 * the library and through the gateway, with a fallback, alone, and with retries: the innocent requests are
 * served by the primary every time, and no circuit opens.
 */

type Expect = 'answer' | 'failed' | { status: number; code?: string };

interface Poison {
  readonly poison: PoisonCase;
  readonly extra?: Partial<ChatCompletionCreateParams>;
  readonly stream?: boolean;
  readonly expect: Expect;
}

const CASES: Poison[] = [
  { poison: 'stop-at-once', extra: { stop: ['Hello'] }, expect: 'answer' },
  { poison: 'length-empty', extra: { max_completion_tokens: 16 }, expect: 'answer' },
  { poison: 'json-cut', extra: { max_tokens: 8, response_format: { type: 'json_object' } }, expect: 'answer' },
  { poison: 'n2-one-empty', extra: { n: 2 }, expect: 'answer' },
  { poison: 'newline', extra: { max_tokens: 1 }, expect: 'answer' },
  { poison: 'no-content-stream', stream: true, extra: { max_tokens: 1 }, expect: 'answer' },
  { poison: 'stop-at-once', stream: true, extra: { stop: ['Hello'] }, expect: 'answer' },
  { poison: 'empty-normal', expect: 'failed' },
  { poison: 'truncated-stream', stream: true, expect: 'failed' },
  { poison: 'flagged', expect: { status: 403, code: 'content_policy_violation' } },
  { poison: 'too-large', expect: { status: 429, code: 'rate_limit_exceeded' } },
  { poison: 'ctx-event', stream: true, expect: { status: 400, code: 'context_length_exceeded' } },
  { poison: 'reset-413', expect: { status: 413, code: 'request_too_large' } },
];

const CHAINS = [
  { name: 'with a fallback', chain: 'fallback' as const },
  { name: 'alone', chain: 'alone' as const },
  { name: 'with retries', chain: 'fallback' as const, retries: 2 },
];

/** The body of a poison request: its marker first, and for reset-413 enough text to be still sending. */
function poisonBody(p: Poison): ChatCompletionCreateParams {
  const pad = p.poison === 'reset-413' ? ' '.padEnd(3_000_000, 'x') : '';
  return { model: 'chat', messages: user(`[[${p.poison}]] please${pad}`), ...p.extra, ...(p.stream ? { stream: true } : {}) } as ChatCompletionCreateParams;
}

/** Sends it and says how it ended: an answer, a provider error (status, code), or every attempt failed. */
async function sendLibrary(rig: AttributionRig, body: ChatCompletionCreateParams): Promise<Expect> {
  try {
    const r = await rig.router.chat.completions.create(body);
    if (Symbol.asyncIterator in (r as object)) for await (const _ of r as AsyncIterable<unknown>);
    return 'answer';
  } catch (e) {
    if (isUpstreamClientError(e)) return { status: e.status, code: ((e.body as { code?: string } | undefined)?.code) ?? '' };
    if (isAllAttemptsFailedError(e)) return 'failed';
    throw e;
  }
}

async function sendGateway(rig: AttributionRig, body: ChatCompletionCreateParams): Promise<Expect> {
  try {
    const r = await rig.client.chat.completions.create(body);
    if (Symbol.asyncIterator in (r as object)) for await (const _ of r as AsyncIterable<unknown>);
    return 'answer';
  } catch (e) {
    if (e instanceof APIError && e.status === 502) return 'failed';
    if (e instanceof APIError && e.status !== undefined) return { status: e.status, code: e.code ?? '' };
    throw e;
  }
}

const SURFACES = [
  { name: 'library', send: sendLibrary, innocent: async (rig: AttributionRig) => (await rig.router.dispatch({ model: 'chat', messages: user('hi') })).endpoint },
  {
    name: 'gateway',
    send: sendGateway,
    innocent: async (rig: AttributionRig) => {
      const { response } = await rig.client.chat.completions.create({ model: 'chat', messages: user('hi') }).withResponse();
      return response.headers.get('x-switchyard-endpoint');
    },
  },
];

describe.each(SURFACES)('poison requests through the $name', (surface) => {
  const start = rigPerTest();

  describe.each(CHAINS)('$name', (chain) => {
    it.each(CASES)('$poison (stream: $stream) x20 leaves the primary serving everyone', async (p) => {
      const rig = await start({ chain: chain.chain, ...(chain.retries ? { retries: chain.retries } : {}) });
      for (let i = 0; i < 20; i++) {
        expect(await surface.send(rig, poisonBody(p))).toEqual(p.expect);
        expect(await surface.innocent(rig)).toBe('primary');
      }
      expect(rig.state('primary')).toBe('closed');
      expect(rig.state('fallback')).toBe('closed');
      expect(rig.charges.filter((c) => c.verdict === 'charged')).toEqual([]);
      expect(rig.router.circuits().every((c) => c.window.failures === 0)).toBe(true);
    });
  });
});
