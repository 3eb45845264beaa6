import { describe, expect, it } from 'vitest';
import { parseConfig, substituteEnv } from '../../src/config/index.js';
import { lines, minimal, problemsOf } from './helpers.js';

const sub = (tree: unknown, env: NodeJS.ProcessEnv = {}) => substituteEnv(tree, env);

describe('substituteEnv', () => {
  it('replaces a set variable, anywhere in a string', () => {
    expect(sub('${A}', { A: 'x' }).value).toBe('x');
    expect(sub('pre-${A}-${B}-post', { A: '1', B: '2' }).value).toBe('pre-1-2-post');
  });

  it('uses the default when the variable is unset or empty', () => {
    expect(sub('${A:-http://127.0.0.1:8000/v1}').value).toBe('http://127.0.0.1:8000/v1');
    expect(sub('${A:-fallback}', { A: '' }).value).toBe('fallback');
    expect(sub('${A:-fallback}', { A: 'set' }).value).toBe('set');
    expect(sub('${A:-}').value).toBe('');
  });

  it('reports a missing variable at its path, naming only the variable', () => {
    const r = sub({ providers: { openai: { apiKey: '${OPENAI_API_KEY}' } } });
    expect(r.problems).toEqual([{ path: 'providers.openai.apiKey', message: 'environment variable OPENAI_API_KEY is not set' }]);
  });

  it('treats a set but empty variable without a default as set', () => {
    const r = sub('${A}', { A: '' });
    expect(r).toMatchObject({ value: '', problems: [] });
  });

  it('collects every missing variable', () => {
    const r = sub({ a: '${X} and ${Y}', b: ['${Z}'] });
    expect(lines(r.problems)).toEqual([
      'a: environment variable X is not set',
      'a: environment variable Y is not set',
      'b.0: environment variable Z is not set',
    ]);
  });

  it('$${VAR} escapes to a literal ${VAR}', () => {
    expect(sub('$${A}', { A: 'x' }).value).toBe('${A}');
    expect(sub('$${A:-d} ${A}', { A: 'x' }).value).toBe('${A:-d} x');
    expect(sub('cost: $5, $$ and $A').value).toBe('cost: $5, $$ and $A');
  });

  it('substitutes inside arrays and nested objects', () => {
    const r = sub({ server: { apiKeys: ['${K1}', 'literal', '${K2:-two}'] }, deep: [[{ x: '${K1}' }]] }, { K1: 'one' });
    expect(r.value).toEqual({ server: { apiKeys: ['one', 'literal', 'two'] }, deep: [[{ x: 'one' }]] });
    expect(sub({ l: ['ok', '${NOPE}'] }).problems[0]!.path).toBe('l.1');
  });

  it('never touches keys', () => {
    expect(sub({ '${A}': '${A}' }, { A: 'x' }).value).toEqual({ '${A}': 'x' });
  });

  it('keeps numbers, booleans and null as they are, and a whole-value reference a string', () => {
    expect(sub({ n: 8080, b: true, z: null, s: '${P}' }, { P: '8080' }).value).toEqual({ n: 8080, b: true, z: null, s: '8080' });
  });

  it('reports malformed references instead of passing them upstream', () => {
    expect(lines(sub({ k: '${OPENAI_API_KEY' }).problems)).toEqual([
      "k: unclosed '${': write ${NAME}, or $${ for a literal '${'",
    ]);
    expect(lines(sub({ k: '${OPENAI API KEY}' }).problems)).toEqual(["k: invalid '${...}' reference: write ${NAME} or ${NAME:-default}"]);
    expect(sub({ k: '${}' }).problems).toHaveLength(1);
  });

  it('does not read values through the prototype chain of the env object', () => {
    expect(sub('${toString}', {}).problems).toHaveLength(1);
  });
});

describe('parseConfig with env', () => {
  it('substitutes before validating', () => {
    const raw = minimal();
    raw.providers.openai.apiKey = '${OPENAI_API_KEY}';
    raw.providers.openai.baseURL = '${OPENAI_BASE_URL:-https://api.openai.com/v1}';
    const c = parseConfig(raw, { env: { OPENAI_API_KEY: 'sk-live' } });
    expect(c.providers.openai).toEqual({ baseURL: 'https://api.openai.com/v1', apiKey: 'sk-live' });
  });

  it('reads process.env by default', () => {
    const raw = minimal();
    raw.providers.openai.apiKey = '${SWITCHYARD_TEST_KEY_FROM_PROCESS}';
    process.env.SWITCHYARD_TEST_KEY_FROM_PROCESS = 'sk-proc';
    try {
      expect(parseConfig(raw).providers.openai!.apiKey).toBe('sk-proc');
    } finally {
      delete process.env.SWITCHYARD_TEST_KEY_FROM_PROCESS;
    }
  });

  it('a missing variable is reported once, not again as an empty value', () => {
    const raw = minimal();
    raw.providers.openai.apiKey = '${OPENAI_API_KEY}';
    raw.server = { apiKeys: ['${GATEWAY_KEY}'] };
    expect(lines(problemsOf(raw))).toEqual([
      'providers.openai.apiKey: environment variable OPENAI_API_KEY is not set',
      'server.apiKeys.0: environment variable GATEWAY_KEY is not set',
    ]);
  });

  it('an escaped reference reaches the config verbatim', () => {
    const raw = minimal();
    raw.providers.openai.headers = { 'x-template': '$${NOT_A_VAR}' };
    expect(parseConfig(raw, { env: {} }).providers.openai!.headers).toEqual({ 'x-template': '${NOT_A_VAR}' });
  });
});
