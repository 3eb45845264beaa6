import { describe, expect, it } from 'vitest';
import { parseConfig } from '../../src/config/index.js';
import { lines, minimal, problemsOf } from './helpers.js';

/*
 * A deadline shorter than an endpoint's timeout would cut every slow attempt as `cancelled` before the
 * endpoint's own timeout could call it: refused, with each route and endpoint named (issue 17, item 4).
 */
describe('deadlines against timeouts', () => {
  it('a route deadline shorter than a timeout in its chain is refused at its path', () => {
    const c = minimal();
    c.endpoints['gpt-4o'].timeoutMs = 10_000;
    c.endpoints['gpt-4o-mini'].timeoutMs = 1_000;
    c.routes.chat.deadlineMs = 1_000;
    const problems = problemsOf(c);
    expect(problems.map((p) => p.path), lines(problems).join('\n')).toEqual(['routes.chat.deadlineMs']);
    expect(problems[0]!.message).toMatch(/1000 ms\) is shorter than endpoint gpt-4o's timeout \(10000 ms\)/);
  });

  it('the request deadline counts for routes without their own and for endpoints named directly', () => {
    const c = minimal();
    c.endpoints['gpt-4o'].firstTokenTimeoutMs = 200_000;
    c.request = { deadlineMs: 150_000 };
    const problems = problemsOf(c);
    expect(problems.map((p) => p.path)).toEqual(['request.deadlineMs']);
    expect(problems[0]!.message).toMatch(/endpoint gpt-4o's timeout \(200000 ms\)/);
  });

  it('a deadline at least as long as every timeout passes', () => {
    const c = minimal();
    c.endpoints['gpt-4o'].timeoutMs = 1_000;
    c.endpoints['gpt-4o-mini'].timeoutMs = 900;
    c.routes.chat.deadlineMs = 1_000;
    expect(parseConfig(c).routes.chat!.deadlineMs).toBe(1_000);
  });
});

describe('providers.<id>.maxConnections', () => {
  it('is a positive integer up to 65536', () => {
    const ok = minimal();
    ok.providers.openai.maxConnections = 64;
    expect(parseConfig(ok).providers.openai!.maxConnections).toBe(64);
    for (const bad of [0, 1.5, 100_000]) {
      const c = minimal();
      c.providers.openai.maxConnections = bad;
      expect(problemsOf(c).map((p) => p.path)).toEqual(['providers.openai.maxConnections']);
    }
  });
});
