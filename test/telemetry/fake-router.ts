import { EventEmitter } from 'node:events';
import type { AttemptOutcome } from '../../src/endpoint/outcome.js';
import type { AttemptInfo, AttemptResult, CircuitStateName, RequestInfo, RouterEvents } from '../../src/router/events.js';
import type { CircuitSnapshot, RouteSnapshot } from '../../src/router/types.js';

/*
 * Just the part of a Router that telemetry reads: its events, circuits() and routes(). The events are what
 * the real router emits for a request, driven by hand so the tests pin the exact sequence.
 */
export interface FakeRouter {
  events: EventEmitter<RouterEvents>;
  states: Map<string, CircuitStateName>;
  circuits(): CircuitSnapshot[];
  routes(): RouteSnapshot[];
}

export const ENDPOINTS = ['primary', 'secondary', 'tertiary', 'backup'] as const;
export const CHAIN = { chat: ['primary', 'secondary', 'tertiary', 'backup'], fast: ['secondary'] } as const;

export function fakeRouter(): FakeRouter {
  const states = new Map<string, CircuitStateName>(ENDPOINTS.map((e) => [e, 'closed']));
  return {
    events: new EventEmitter<RouterEvents>(),
    states,
    circuits: () =>
      [...states].map(([endpoint, state]) => ({
        endpoint,
        provider: 'sim',
        model: `model-${endpoint}`,
        state,
        window: { attempts: 0, successes: 0, failures: 0 },
        failureRate: 0,
        consecutiveTrips: 0,
        inFlight: 0,
      })),
    routes: () => [
      ...Object.entries(CHAIN).map(([id, endpoints]) => ({ id, kind: 'route' as const, endpoints, available: true })),
      ...ENDPOINTS.map((id) => ({ id, kind: 'endpoint' as const, endpoints: [id], available: true })),
    ],
  };
}

let ids = 0;
export function requestInfo(route: string, startedAt = Date.now()): RequestInfo {
  return { id: `req-${++ids}`, route, stream: false, startedAt };
}

export function attemptInfo(request: RequestInfo, endpoint: string, number: number, startedAt: number): AttemptInfo {
  return {
    request,
    endpoint,
    provider: 'sim',
    providerName: 'openai',
    model: `model-${endpoint}`,
    serverAddress: '127.0.0.1',
    serverPort: 4000 + number,
    number,
    startedAt,
    headers: {},
  };
}

export function failed(outcome: AttemptOutcome, durationMs: number, status?: number): AttemptResult {
  return { outcome, durationMs, errorType: outcome, message: `${outcome} upstream`, ...(status && { status }) };
}

/**
 * The request the tests care most about, on route `chat`: `primary` skipped (open), `secondary` fails with a
 * 503, fall back, `tertiary` times out, fall back, `backup` answers. Three attempts numbered 1..3.
 */
export function fallBackTwice(events: EventEmitter<RouterEvents>, t0 = Date.now() - 1000): RequestInfo {
  const request = requestInfo('chat', t0);
  events.emit('request:start', request);
  events.emit('skip', request, 'primary', 'open', t0 + 30_000);
  const a1 = attemptInfo(request, 'secondary', 1, t0 + 1);
  events.emit('attempt:start', a1);
  events.emit('attempt:end', a1, failed('server_error', 120, 503));
  events.emit('fallback', request, 'secondary', 'tertiary');
  const a2 = attemptInfo(request, 'tertiary', 2, t0 + 130);
  events.emit('attempt:start', a2);
  events.emit('attempt:end', a2, failed('timeout', 500));
  events.emit('fallback', request, 'tertiary', 'backup');
  const a3 = attemptInfo(request, 'backup', 3, t0 + 640);
  events.emit('attempt:start', a3);
  events.emit('attempt:end', a3, {
    outcome: 'success',
    durationMs: 300,
    status: 200,
    responseModel: 'model-backup-2024',
    inputTokens: 12,
    outputTokens: 34,
  });
  events.emit('request:end', request, { outcome: 'success', durationMs: 950, attempts: 3, endpoint: 'backup' });
  return request;
}

/** Sample lines (not comments) of a text or OpenMetrics exposition. */
export function samples(text: string): string[] {
  return text.split('\n').filter((l) => l.length > 0 && !l.startsWith('#'));
}

/** The value of the one sample line that starts with `prefix` (name and labels as rendered). */
export function sampleValue(text: string, prefix: string): number | undefined {
  const line = samples(text).find((l) => l.startsWith(prefix + ' '));
  return line === undefined ? undefined : Number(line.slice(prefix.length + 1).split(' ')[0]);
}
