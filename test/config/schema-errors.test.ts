import { describe, expect, it } from 'vitest';
import { parseConfig } from '../../src/config/index.js';
import { lines, minimal, problemsOf } from './helpers.js';

/** One broken field, one problem, at the right path. */
function expectOnly(mutate: (c: Record<string, any>) => void, path: string, message: string | RegExp) {
  const config = minimal();
  mutate(config);
  const problems = problemsOf(config);
  expect(problems, lines(problems).join('\n')).toHaveLength(1);
  expect(problems[0]!.path).toBe(path);
  if (typeof message === 'string') expect(problems[0]!.message).toBe(message);
  else expect(problems[0]!.message).toMatch(message);
}

describe('schema errors', () => {
  it('bad type', () => {
    expectOnly((c) => (c.endpoints['gpt-4o'].timeoutMs = 'soon'), 'endpoints.gpt-4o.timeoutMs', 'expected a positive number');
    expectOnly((c) => (c.validation = { rejectEmpty: 'yes' }), 'validation.rejectEmpty', 'expected true or false');
    expectOnly((c) => (c.routes.chat.endpoints = 'gpt-4o'), 'routes.chat.endpoints', 'expected a list, got a string');
    expectOnly((c) => (c.providers = ['openai']), 'providers', 'expected a mapping, got a list');
  });

  it('negative and non-integer numbers', () => {
    expectOnly((c) => (c.endpoints['gpt-4o'].timeoutMs = -1), 'endpoints.gpt-4o.timeoutMs', 'expected a positive number');
    expectOnly((c) => (c.breaker = { volumeThreshold: 2.5 }), 'breaker.volumeThreshold', 'expected a positive integer');
    expectOnly((c) => (c.endpoints['gpt-4o'].maxConcurrent = 0), 'endpoints.gpt-4o.maxConcurrent', 'expected a positive integer');
    expectOnly((c) => (c.endpoints['gpt-4o'].maxConcurrent = 1.5), 'endpoints.gpt-4o.maxConcurrent', 'expected a positive integer');
    expectOnly((c) => (c.retry = { retries: -1 }), 'retry.retries', 'expected a non-negative integer');
    expectOnly((c) => (c.retry = { retries: 11 }), 'retry.retries', 'expected at most 10');
    expectOnly((c) => (c.server = { port: 70000 }), 'server.port', 'expected a port number from 0 to 65535');
  });

  it('durations longer than Node keeps a timer (2^31-1 ms), which would fire after 1 ms', () => {
    const msg = /^expected at most 2147483647 \(milliseconds/;
    expectOnly((c) => (c.endpoints['gpt-4o'].timeoutMs = 2 ** 31), 'endpoints.gpt-4o.timeoutMs', msg);
    expectOnly((c) => (c.endpoints['gpt-4o'].streamIdleTimeoutMs = 30 * 86_400_000), 'endpoints.gpt-4o.streamIdleTimeoutMs', msg);
    expectOnly((c) => (c.request = { deadlineMs: 2 ** 32 }), 'request.deadlineMs', msg);
    expectOnly((c) => (c.breaker = { resetTimeoutMs: 2 ** 31, maxResetTimeoutMs: 2 ** 31 - 1 }), 'breaker.resetTimeoutMs', msg);
    expectOnly((c) => (c.retry = { maxDelayMs: 2 ** 31 }), 'retry.maxDelayMs', msg);
    const config = minimal();
    config.endpoints['gpt-4o'].timeoutMs = 2 ** 31 - 1;
    config.request = { deadlineMs: 2 ** 31 - 1 };
    expect(parseConfig(config).endpoints['gpt-4o']!.timeoutMs).toBe(2 ** 31 - 1);
  });

  it('out-of-range percentage and fraction', () => {
    const msg = 'expected a percentage from 1 to 100';
    expectOnly((c) => (c.breaker = { errorThresholdPercentage: 150 }), 'breaker.errorThresholdPercentage', msg);
    expectOnly((c) => (c.breaker = { errorThresholdPercentage: 0 }), 'breaker.errorThresholdPercentage', msg);
    expectOnly((c) => (c.breaker = { jitter: -0.1 }), 'breaker.jitter', 'expected a number from 0 to 1');
    expectOnly((c) => (c.breaker = { jitter: 1.5 }), 'breaker.jitter', 'expected a number from 0 to 1');
  });

  it('unknown provider', () => {
    expectOnly((c) => (c.endpoints['gpt-4o'].provider = 'opnai'), 'endpoints.gpt-4o.provider', /^unknown provider/);
  });

  it('an id inherited from Object.prototype is still unknown', () => {
    expectOnly((c) => (c.endpoints['gpt-4o'].provider = 'constructor'), 'endpoints.gpt-4o.provider', /^unknown provider/);
    expectOnly((c) => c.routes.chat.endpoints.push('toString'), 'routes.chat.endpoints.2', /^unknown endpoint/);
  });

  it('an unknown id is named, unless it is not id-shaped or is one of the config secrets', () => {
    expectOnly((c) => (c.endpoints['gpt-4o'].provider = 'opnai'), 'endpoints.gpt-4o.provider', "unknown provider 'opnai': not an id under providers");
    expectOnly((c) => (c.endpoints['gpt-4o'].provider = 'a key/with slashes'), 'endpoints.gpt-4o.provider', 'unknown provider: not an id under providers');
    expectOnly(
      (c) => (c.endpoints['gpt-4o'].provider = c.providers.openai.apiKey = 'sk-canary-ref-0123456789'),
      'endpoints.gpt-4o.provider',
      'unknown provider: not an id under providers',
    );
  });

  it('unknown endpoint in a route, located by index', () => {
    expectOnly((c) => (c.routes.chat.endpoints = ['gpt-4o', 'gpt-5']), 'routes.chat.endpoints.1', /^unknown endpoint/);
  });

  it('duplicate endpoint in a route', () => {
    expectOnly(
      (c) => (c.routes.chat.endpoints = ['gpt-4o', 'gpt-4o-mini', 'gpt-4o']),
      'routes.chat.endpoints.2',
      'duplicate endpoint: already listed at index 0',
    );
  });

  it('unrecognized key, named, with a suggestion for a near miss', () => {
    expectOnly((c) => (c.endpoints['gpt-4o'].timeoutMS = 5), 'endpoints.gpt-4o', "unrecognized key 'timeoutMS' (did you mean 'timeoutMs'?)");
    expectOnly((c) => (c.breaker = { volumeTreshold: 5 }), 'breaker', "unrecognized key 'volumeTreshold' (did you mean 'volumeThreshold'?)");
    expectOnly((c) => (c.endpoints['gpt-4o'].breaker = { colour: 1 }), 'endpoints.gpt-4o.breaker', "unrecognized key 'colour'");
    expectOnly((c) => (c.telemetry = {}), '', "unrecognized key 'telemetry'");
  });

  it('one problem per unrecognized key', () => {
    const c = minimal();
    c.providers.openai.org = 'x';
    c.providers.openai.project = 'y';
    expect(lines(problemsOf(c))).toEqual(["providers.openai: unrecognized key 'org'", "providers.openai: unrecognized key 'project'"]);
  });

  it('bad id', () => {
    expectOnly(
      (c) => (c.endpoints['gpt 4o!'] = { provider: 'openai', model: 'gpt-4o' }),
      'endpoints.gpt 4o!',
      /^invalid id: ids must be 1-64 characters/,
    );
    expectOnly((c) => (c.routes['-chat'] = { endpoints: ['gpt-4o'] }), 'routes.-chat', /^invalid id/);
  });

  it('rollingWindowMs not dividing into buckets, top level and per endpoint', () => {
    expectOnly((c) => (c.breaker = { rollingWindowMs: 10_001 }), 'breaker.rollingWindowMs', 'rollingWindowMs must divide evenly into 10 buckets');
    expectOnly(
      (c) => (c.endpoints['gpt-4o'].breaker = { rollingBuckets: 7 }),
      'endpoints.gpt-4o.breaker.rollingWindowMs',
      'rollingWindowMs must divide evenly into 7 buckets',
    );
  });

  it('an endpoint override is checked against the top-level window it inherits', () => {
    expectOnly(
      (c) => {
        // 8 buckets would suit the default 10 s window, but not the 9.9 s one this endpoint inherits.
        c.breaker = { rollingWindowMs: 9_900, rollingBuckets: 9 };
        c.endpoints['gpt-4o'].breaker = { rollingBuckets: 8 };
      },
      'endpoints.gpt-4o.breaker.rollingWindowMs',
      'rollingWindowMs must divide evenly into 8 buckets',
    );
  });

  it('bad URL', () => {
    const msg = 'expected an absolute http(s) URL';
    expectOnly((c) => (c.providers.openai.baseURL = 'api.openai.com/v1'), 'providers.openai.baseURL', msg);
    expectOnly((c) => (c.providers.openai.baseURL = 'localhost:8000/v1'), 'providers.openai.baseURL', msg);
    expectOnly((c) => (c.providers.openai.baseURL = 'ftp://files.example.com'), 'providers.openai.baseURL', msg);
  });

  it('missing required fields', () => {
    expectOnly((c) => delete c.endpoints['gpt-4o'].model, 'endpoints.gpt-4o.model', 'required');
    expectOnly((c) => delete c.providers.openai.baseURL, 'providers.openai.baseURL', 'required');
    expect(lines(problemsOf({}))).toEqual(['providers: required', 'endpoints: required']);
  });

  it('empty strings', () => {
    expectOnly((c) => (c.providers.openai.apiKey = ''), 'providers.openai.apiKey', 'must not be empty');
    expectOnly((c) => (c.server = { host: '' }), 'server.host', 'must not be empty');
  });

  it('empty route', () => {
    expectOnly((c) => (c.routes.chat.endpoints = []), 'routes.chat.endpoints', 'a route needs at least one endpoint');
  });

  it('unknown retry outcome lists the accepted ones', () => {
    expectOnly((c) => (c.retry = { on: ['client_error'] }), 'retry.on.0', /^expected one of: server_error, rate_limited/);
  });

  it('an empty or non-mapping document', () => {
    expect(lines(problemsOf(null))).toEqual([': the configuration is empty']);
    expect(lines(problemsOf('providers: {}'))).toEqual([': expected a mapping, got a string']);
  });
});
