import { expect } from 'vitest';
import { parseConfig, isConfigError, type ConfigProblem } from '../../src/config/index.js';

/** The smallest valid configuration; tests clone it and break one thing. */
export function minimal(): Record<string, any> {
  return {
    providers: { openai: { baseURL: 'https://api.openai.com/v1', apiKey: 'sk-test' } },
    endpoints: {
      'gpt-4o': { provider: 'openai', model: 'gpt-4o' },
      'gpt-4o-mini': { provider: 'openai', model: 'gpt-4o-mini' },
    },
    routes: { chat: { endpoints: ['gpt-4o', 'gpt-4o-mini'] } },
  };
}

/** The problems `parseConfig` reports for `raw`, failing the test if it does not throw a ConfigError. */
export function problemsOf(raw: unknown, env: NodeJS.ProcessEnv = {}): ConfigProblem[] {
  try {
    parseConfig(raw, { env });
  } catch (e) {
    expect(isConfigError(e)).toBe(true);
    return [...(e as { problems: ConfigProblem[] }).problems];
  }
  throw new Error('expected a ConfigError');
}

/** `path: message` lines, the way the CLI prints them. */
export const lines = (problems: readonly ConfigProblem[]) => problems.map((p) => `${p.path}: ${p.message}`);
