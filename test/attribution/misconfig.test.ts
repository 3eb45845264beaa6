import { APIError } from 'openai';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { isUpstreamClientError } from '../../src/index.js';
import { rigPerTest, user } from './harness.js';

/*
 * Issue 17, guarantees 5 and 6: an endpoint's own misconfiguration falls back and counts; a streamed probe is
 * judged at its first content chunk.
 */

const start = rigPerTest();
const ask = { model: 'chat', messages: user('hi') };
afterEach(() => vi.useRealTimers());

describe("an endpoint's own misconfiguration", () => {
  it('404 model_not_found falls back, counts, opens the circuit, and is logged as such', async () => {
    const rig = await start({ primary: { modelNotFound: true } });
    for (let i = 0; i < 10; i++) {
      const { response } = await rig.client.chat.completions.create(ask).withResponse();
      expect(response.headers.get('x-switchyard-endpoint')).toBe('fallback');
    }
    expect(rig.primary.hits.get('ok')).toBe(3);
    expect(rig.state('primary')).toBe('open');
    const warned = rig.logs().filter((l) => l.event === 'attempt' && l.errorType === 'model_not_found');
    expect(warned).toHaveLength(3);
    expect(warned[0]).toMatchObject({ level: 40, endpoint: 'primary', status: 404 });
  });

  it('a 400 naming a parameter only the primary rejects falls back; the caller weighs once per window', async () => {
    const rig = await start({ primary: { rejectParam: 'logprobs' } });
    for (let i = 0; i < 20; i++) {
      const { response } = await rig.client.chat.completions.create({ ...ask, logprobs: true }).withResponse();
      expect(response.headers.get('x-switchyard-endpoint')).toBe('fallback');
      const innocent = await rig.client.chat.completions.create(ask).withResponse();
      expect(innocent.response.headers.get('x-switchyard-endpoint')).toBe('primary');
    }
    expect(rig.charges.filter((c) => c.endpoint === 'primary').map((c) => c.reason)).toEqual(['evidence', ...Array(19).fill('caller_limit')]);
    expect(rig.state('primary')).toBe('closed');
    expect(rig.logs().filter((l) => l.event === 'attempt' && l.errorType === 'param_rejected')).toHaveLength(20);
    // What the operator sees: one charge, nineteen spared, and why.
    const metrics = await (await fetch(`${rig.gatewayUrl}/metrics`)).text();
    expect(metrics).toContain('switchyard_charges_total{endpoint="primary",verdict="charged",reason="evidence"} 1');
    expect(metrics).toContain('switchyard_charges_total{endpoint="primary",verdict="spared",reason="caller_limit"} 19');
  });

  it('a parameter every endpoint rejects is the request\'s: the provider\'s 400 goes back as is, nothing charged', async () => {
    const rig = await start({ primary: { rejectParam: 'logprobs' }, fallback: { rejectParam: 'logprobs' } });
    for (let i = 0; i < 5; i++) {
      const e = await rig.client.chat.completions.create({ ...ask, logprobs: true }).catch((x: unknown) => x);
      expect(e).toBeInstanceOf(APIError);
      expect(e).toMatchObject({ status: 400, param: 'logprobs', code: 'unsupported_parameter' });
      const lib = await rig.router.chat.completions.create({ ...ask, logprobs: true }).catch((x: unknown) => x);
      expect(isUpstreamClientError(lib) && lib.status).toBe(400);
    }
    expect(rig.charges.filter((c) => c.verdict === 'charged')).toEqual([]);
  });
});

describe('a streamed probe', () => {
  it('is judged at its first content chunk: a long stream does not hold the half-open circuit', async () => {
    vi.useFakeTimers({ shouldAdvanceTime: true });
    const rig = await start({ primary: { modelNotFound: true }, breaker: { resetTimeoutMs: 1_000, maxResetTimeoutMs: 1_000 } });
    for (let i = 0; i < 3; i++) await rig.router.dispatch(ask);
    expect(rig.state('primary')).toBe('open');
    rig.primary.configure({ chunks: 5, chunkDelayMs: 100 });
    await vi.advanceTimersByTimeAsync(1_000);
    expect(rig.state('primary')).toBe('half_open');
    const probe = await rig.router.dispatch({ ...ask, stream: true });
    expect(probe.endpoint).toBe('primary');
    // The probe's stream has reached its caller and runs on: the endpoint serves everyone meanwhile.
    expect(rig.state('primary')).toBe('closed');
    for (let i = 0; i < 3; i++) expect((await rig.router.dispatch(ask)).endpoint).toBe('primary');
    let parts = 0;
    for await (const c of probe.response) if (c.choices[0]?.delta?.content) parts++;
    expect(parts).toBe(5);
  });
});
