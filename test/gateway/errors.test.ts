import { describe, expect, it } from 'vitest';
import { keyMatcher } from '../../src/gateway/auth.js';
import { mapError } from '../../src/gateway/errors.js';
import {
  AllAttemptsFailedError,
  DeadlineExceededError,
  RequestCancelledError,
  RouterClosedError,
  RouteUnavailableError,
  StreamInterruptedError,
  UnknownRouteError,
  UpstreamClientError,
} from '../../src/errors/router-errors.js';

describe('mapError', () => {
  const attempts = [{ endpoint: 'a', outcome: 'server_error' as const, status: 500, durationMs: 12.4, message: 'HTTP 500' }];

  it('maps each Switchyard error to its status and OpenAI shape', () => {
    expect(mapError(new UnknownRouteError('x'))).toMatchObject({ status: 404, body: { error: { code: 'unknown_route', param: 'model' } } });
    expect(mapError(new AllAttemptsFailedError('r', attempts))).toMatchObject({
      status: 502,
      body: { error: { code: 'all_attempts_failed', attempts: [{ endpoint: 'a', outcome: 'server_error', status: 500, durationMs: 12 }] } },
    });
    expect(mapError(new DeadlineExceededError('r', 100, attempts))).toMatchObject({ status: 504, body: { error: { code: 'deadline_exceeded' } } });
    expect(mapError(new StreamInterruptedError('r', 'a', 'timeout', 'idle'))).toMatchObject({ status: 502 });
    expect(mapError(new RequestCancelledError('r')).cancelled).toBe(true);
    expect(mapError(new RouterClosedError('r'))).toMatchObject({ status: 503, body: { error: { code: 'router_closed', type: 'server_error' } } });
  });

  it('Retry-After is whole seconds until the probe, at least 1', () => {
    expect(mapError(new RouteUnavailableError('r', 10_500), 1_000).headers).toEqual({ 'retry-after': '10', 'x-should-retry': 'false' });
    expect(mapError(new RouteUnavailableError('r', 1_000), 5_000).headers).toEqual({ 'retry-after': '1', 'x-should-retry': 'false' });
  });

  it('gives no Retry-After when no probe is scheduled (held open by an operator), and x-should-retry only when asked', () => {
    const forced = new RouteUnavailableError('r', Number.POSITIVE_INFINITY);
    expect(forced.message).toContain('no retry time');
    expect(mapError(forced, 1_000).headers).toEqual({ 'x-should-retry': 'false' });
    expect(mapError(forced, 1_000, false).headers).toEqual({});
    expect(mapError(new AllAttemptsFailedError('r', []), 0, false).headers).toEqual({});
    expect(mapError(new DeadlineExceededError('r', 5, []), 0).headers).toEqual({ 'x-should-retry': 'false' });
  });

  it('passes an upstream client error object through, inner or whole', () => {
    const inner = { message: 'bad temperature', type: 'invalid_request_error', param: 'temperature', code: null };
    expect(mapError(new UpstreamClientError('r', 'a', 422, 'HTTP 422', inner))).toEqual({ status: 422, body: { error: inner }, headers: {} });
    expect(mapError(new UpstreamClientError('r', 'a', 400, 'HTTP 400', { error: inner })).body).toEqual({ error: inner });
    expect(mapError(new UpstreamClientError('r', 'a', 400, 'HTTP 400', 'text')).body).toMatchObject({ error: { message: 'HTTP 400' } });
  });

  it('hides anything unexpected behind a bland 500', () => {
    const mapped = mapError(new Error('ECONNREFUSED http://user:sk-secret@host'));
    expect(mapped.status).toBe(500);
    expect(JSON.stringify(mapped.body)).not.toContain('sk-secret');
  });
});

describe('keyMatcher', () => {
  it('matches any configured key exactly, whatever the candidate length', () => {
    const m = keyMatcher(['one-key', 'another-key']);
    expect(m('one-key')).toBe(true);
    expect(m('another-key')).toBe(true);
    expect(m('one-ke')).toBe(false);
    expect(m('one-key ')).toBe(false);
    expect(m('')).toBe(false);
    expect(m(undefined)).toBe(false);
    expect(keyMatcher([])('anything')).toBe(false);
  });
});
