import { describe, expect, it } from 'vitest';
import { parseConfig } from '../../src/config/index.js';
import { lines, minimal, problemsOf } from '../config/helpers.js';

describe('state config', () => {
  it('defaults to the memory store', () => {
    expect(parseConfig(minimal()).state).toEqual({
      store: 'memory',
      url: 'redis://127.0.0.1:6379',
      keyPrefix: 'switchyard',
      commandTimeoutMs: 50,
      syncIntervalMs: 1000,
      keepMs: 86_400_000,
      conversationTtlMs: 86_400_000,
    });
  });

  it('lists every problem with its path, and never quotes the URL (it may hold a password)', () => {
    const config = minimal();
    config.state = { store: 'etcd', url: 'http://:hunter2-secret@redis:6379', keyPrefix: 'has space', commandTimeoutMs: 0, syncIntervalMs: -5, extra: 1 };
    const problems = problemsOf(config);
    expect(problems.map((p) => p.path).sort()).toEqual(
      ['state', 'state.commandTimeoutMs', 'state.keyPrefix', 'state.store', 'state.syncIntervalMs', 'state.url'].sort(),
    );
    expect(lines(problems).join('\n')).not.toContain('hunter2');
    expect(problems.find((p) => p.path === 'state.url')!.message).toBe('expected a redis:// or rediss:// URL');
  });

  it('accepts a password-carrying URL and TLS', () => {
    const config = minimal();
    config.state = { store: 'redis', url: 'rediss://:pw@cache.internal:6380/2', keyPrefix: 'prod.gw:eu-1' };
    expect(parseConfig(config).state).toMatchObject({ store: 'redis', keyPrefix: 'prod.gw:eu-1' });
  });
});
