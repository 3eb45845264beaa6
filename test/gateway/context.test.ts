import { EventEmitter } from 'node:events';
import { describe, expect, it } from 'vitest';
import { newCallInfo, trackCalls } from '../../src/gateway/context.js';
import type { AttemptInfo, RequestInfo, RouterEvents } from '../../src/router/events.js';
import type { Router } from '../../src/router/types.js';

/* The call tracker ties router events to the HTTP call whose dispatch() started the request. */

const request = (id: string): RequestInfo => ({ id, route: 'chat', stream: false, startedAt: 0 });
const attempt = (r: RequestInfo, endpoint: string, number: number) => ({ request: r, endpoint, number }) as AttemptInfo;

describe('trackCalls', () => {
  it('follows the request a call starts synchronously, through later (async) events, and ignores others', async () => {
    const events = new EventEmitter<RouterEvents>();
    const tracker = trackCalls({ events } as unknown as Router);
    const a = newCallInfo();
    const b = newCallInfo();
    const ra = request('a');
    const rb = request('b');
    const stray = request('stray');

    // Like router.dispatch(): request:start synchronously, the rest after awaits.
    const dispatch = async (r: RequestInfo, endpoint: string) => {
      events.emit('request:start', r);
      await new Promise((resolve) => setTimeout(resolve, 5));
      events.emit('attempt:start', attempt(r, endpoint, 1));
      events.emit('attempt:start', attempt(r, 'fallback', 2));
      events.emit('request:end', r, { outcome: 'success', durationMs: 5, attempts: 2, endpoint: 'fallback' });
    };
    const both = Promise.all([tracker.run(a, () => dispatch(ra, 'primary')), tracker.run(b, () => dispatch(rb, 'other'))]);
    const outside = dispatch(stray, 'primary');
    await Promise.all([both, outside]);

    expect(a).toMatchObject({ requestId: 'a', route: 'chat', endpoint: 'fallback', attempts: 2, outcome: 'success', ended: true });
    expect(b).toMatchObject({ requestId: 'b', endpoint: 'fallback', ended: true });

    const c = newCallInfo();
    tracker.dispose();
    tracker.run(c, () => events.emit('request:start', request('c')));
    expect(c.requestId).toBeUndefined();
  });

  it('restores the outer call after a nested run, and after a throw', () => {
    const events = new EventEmitter<RouterEvents>();
    const tracker = trackCalls({ events } as unknown as Router);
    const outer = newCallInfo();
    const inner = newCallInfo();
    tracker.run(outer, () => {
      expect(() =>
        tracker.run(inner, () => {
          events.emit('request:start', request('inner'));
          throw new Error('boom');
        }),
      ).toThrow('boom');
      events.emit('request:start', request('outer'));
    });
    expect(inner.requestId).toBe('inner');
    expect(outer.requestId).toBe('outer');
  });
});
