import { describe, expect, it } from 'vitest';
import { isInvalidRequestError, isLocalAttemptError } from '../../src/index.js';
import type { RequestOptions } from '../../src/router/types.js';
import { rigPerTest, user } from './harness.js';

/*
 * Issue 17, guarantee 3: failures by the request's own fault on this side never reach a circuit, and never a
 * provider: the body is serialised before the walk, options and headers are checked, a throwing validator is
 * a bug report.
 */

const start = rigPerTest();

/** n levels of `{"a": ...}`: parsed fine by JSON.parse, too deep for JSON.stringify's recursion. */
function deeplyNested(levels: number): string {
  return '{"a":'.repeat(levels) + '1' + '}'.repeat(levels);
}

describe('local failures', () => {
  it('a body nested too deeply to serialise: a 400 at the gateway, nothing sent, nothing counted', async () => {
    const rig = await start();
    for (let i = 0; i < 20; i++) {
      const body = `{"model":"chat","messages":[{"role":"user","content":"hi"}],"metadata":${deeplyNested(5_000)}}`;
      const res = await fetch(`${rig.gatewayUrl}/v1/chat/completions`, { method: 'POST', headers: { 'content-type': 'application/json' }, body });
      expect(res.status).toBe(400);
      expect((await res.json()) as unknown).toMatchObject({ error: { type: "invalid_request_error", message: expect.stringMatching(/nested too deeply/) } });
    }
    expect(rig.primary.hits.size + rig.fallback.hits.size).toBe(0);
    expect(rig.router.circuits().every((c) => c.window.attempts === 0)).toBe(true);
  });

  it.each([
    ['a BigInt', { seed: BigInt(1) }],
    ['a cycle', (() => { const o: Record<string, unknown> = {}; o.self = o; return { metadata: o }; })()],
  ])('%s in the body is an InvalidRequestError in the library, before any attempt', async (_what, extra) => {
    const rig = await start();
    for (let i = 0; i < 20; i++) {
      const e = await rig.router.chat.completions.create({ model: 'chat', messages: user('hi'), ...(extra as object) }).catch((x: unknown) => x);
      expect(isInvalidRequestError(e)).toBe(true);
    }
    expect(rig.primary.hits.size).toBe(0);
    expect(rig.router.circuits().every((c) => c.window.attempts === 0)).toBe(true);
    expect((await rig.router.dispatch({ model: 'chat', messages: user('hi') })).endpoint).toBe('primary');
  });

  it('a per-call header with CR/LF, or a timeout that is no duration, is the caller\'s error', async () => {
    const rig = await start();
    const bad: RequestOptions[] = [{ headers: { 'x-tenant': 'a\r\nInjected: yes' } }, { headers: { 'bad name': 'x' } }, { timeout: Number.NaN }, { timeout: -5 }];
    for (const opts of bad) {
      const e = await rig.router.chat.completions.create({ model: 'chat', messages: user('hi') }, opts).catch((x: unknown) => x);
      expect(isInvalidRequestError(e)).toBe(true);
    }
    expect(rig.primary.hits.size).toBe(0);
  });

  it('a throwing validator is a local_error: no fallback, nothing counted, its error is the cause', async () => {
    const boom = new Error('validator bug');
    const rig = await start({ router: { validator: () => { throw boom; } } });
    for (let i = 0; i < 20; i++) {
      const e = await rig.router.chat.completions.create({ model: 'chat', messages: user('hi') }).catch((x: unknown) => x);
      expect(isLocalAttemptError(e)).toBe(true);
      expect((e as Error).cause).toBe(boom);
    }
    expect(rig.fallback.hits.size).toBe(0);
    expect(rig.router.circuits().every((c) => c.window.failures === 0 && c.state === 'closed')).toBe(true);
    expect(rig.charges.every((c) => c.verdict === 'spared' && c.reason === 'request_fault')).toBe(true);
  });

  it('a validator that rejects (returns a reason) is an unclear invalid_response: fallen back from, charged on evidence', async () => {
    const rig = await start({ router: { validator: (_c, ctx) => (ctx.endpoint === 'primary' ? 'not good enough' : undefined) } });
    const r = await rig.router.dispatch({ model: 'chat', messages: user('hi') });
    expect(r.endpoint).toBe('fallback');
    expect(rig.charges).toEqual([{ endpoint: 'primary', verdict: 'charged', reason: 'evidence' }]);
  });
});
