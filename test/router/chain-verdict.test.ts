import { describe, expect, it } from 'vitest';
import type { Classified } from '../../src/endpoint/classify.js';
import { AllAttemptsFailedError, RouteUnavailableError, UpstreamClientError } from '../../src/errors/router-errors.js';
import { chainVerdict, type ChainWalked } from '../../src/router/chain-verdict.js';

const walked = (w: Partial<ChainWalked>): ChainWalked => ({ route: 'chat', attempts: [], skipped: [], refusal: undefined, unclear: undefined, endpointFault: false, now: 1_000, ...w });
const failed = { endpoint: 'a', outcome: 'server_error' as const, status: 500, durationMs: 3 };
const unclear = { endpoint: 'a', classified: { outcome: 'client_error', blame: 'unclear', status: 403, message: 'content refused' } as Classified, body: { error: { message: 'content refused' } } };

describe('chainVerdict: how a request no endpoint answered ends', () => {
  it('nothing tried, every endpoint open: unavailable, back at the earliest retry', () => {
    const v = chainVerdict(walked({ skipped: [{ endpoint: 'a', reason: 'open', retryAt: 5_000 }, { endpoint: 'b', reason: 'half_open_busy', retryAt: 2_000 }] }));
    expect(v.outcome).toBe('unavailable');
    expect(v.error).toBeInstanceOf(RouteUnavailableError);
    expect((v.error as RouteUnavailableError).retryAt).toBe(2_000);
  });

  it('nothing tried and no endpoint could take it as asked: the caller is told with a 400', () => {
    const refusal = { endpoint: 'claude', error: new Error("'n' > 1 is not supported") };
    const v = chainVerdict(walked({ refusal, skipped: [{ endpoint: 'claude', reason: 'unsupported', retryAt: Infinity }] }));
    expect(v.outcome).toBe('client_error');
    expect(v.error).toBeInstanceOf(UpstreamClientError);
    expect((v.error as UpstreamClientError).status).toBe(400);
  });

  it('one endpoint refused it and the other was open: unavailable, not the caller', () => {
    const refusal = { endpoint: 'claude', error: new Error('no') };
    const skipped = [{ endpoint: 'claude', reason: 'unsupported' as const, retryAt: Infinity }, { endpoint: 'gpt', reason: 'open' as const, retryAt: 3_000 }];
    expect(chainVerdict(walked({ refusal, skipped })).outcome).toBe('unavailable');
  });

  it("every attempt met the same unclear trouble: the provider's own error, as the caller's", () => {
    const v = chainVerdict(walked({ attempts: [failed], unclear }));
    expect(v.outcome).toBe('client_error');
    expect((v.error as UpstreamClientError).status).toBe(403);
    expect((v.error as UpstreamClientError).body).toEqual(unclear.body);
  });

  it("any failure the endpoint's for sure: all attempts failed", () => {
    const v = chainVerdict(walked({ attempts: [failed, failed], unclear, endpointFault: true }));
    expect(v.outcome).toBe('failed');
    expect(v.error).toBeInstanceOf(AllAttemptsFailedError);
    expect((v.error as AllAttemptsFailedError).attempts).toHaveLength(2);
  });
});
