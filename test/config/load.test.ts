import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { checkConfigFile, ConfigError, isConfigError, loadConfigFile } from '../../src/config/index.js';
import { lines } from './helpers.js';

const examples = fileURLToPath(new URL('../../examples/', import.meta.url));
let dir: string;

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'switchyard-config-'));
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

async function file(name: string, text: string): Promise<string> {
  const path = join(dir, name);
  await writeFile(path, text);
  return path;
}

async function loadError(path: string, env: NodeJS.ProcessEnv = {}): Promise<ConfigError> {
  const e = await loadConfigFile(path, { env }).then(
    () => undefined,
    (err: unknown) => err,
  );
  expect(isConfigError(e)).toBe(true);
  return e as ConfigError;
}

const YAML_OK = `
providers:
  openai: { baseURL: https://api.openai.com/v1, apiKey: "\${OPENAI_API_KEY}" }
endpoints:
  gpt-4o: { provider: openai, model: gpt-4o, timeoutMs: 30000 }
routes:
  chat: { endpoints: [gpt-4o] }
`;

describe('loadConfigFile', () => {
  it('reads YAML, substituting env and keeping YAML numbers numbers', async () => {
    const c = await loadConfigFile(await file('ok.yaml', YAML_OK), { env: { OPENAI_API_KEY: 'sk-test' } });
    expect(c.providers.openai!.apiKey).toBe('sk-test');
    expect(c.endpoints['gpt-4o']!.timeoutMs).toBe(30_000);
  });

  it('reads .yml the same way', async () => {
    const c = await loadConfigFile(await file('ok.yml', YAML_OK), { env: { OPENAI_API_KEY: 'sk-k' } });
    expect(c.routes.chat!.endpoints).toEqual(['gpt-4o']);
  });

  it('reads a JSON file', async () => {
    const json = JSON.stringify({
      providers: { local: { baseURL: 'http://127.0.0.1:8000/v1' } },
      endpoints: { llama: { provider: 'local', model: 'llama3', timeoutMs: 5000 } },
    });
    const c = await loadConfigFile(await file('ok.json', json), { env: {} });
    expect(c.endpoints.llama).toMatchObject({ model: 'llama3', timeoutMs: 5_000 });
  });

  it('accepts a byte-order mark', async () => {
    const c = await loadConfigFile(await file('bom.json', '\uFEFF{"providers": {}, "endpoints": {}}'), { env: {} });
    expect(c.endpoints).toEqual({});
  });

  it('reads an unknown extension as YAML (JSON included)', async () => {
    const c = await loadConfigFile(await file('switchyard.conf', YAML_OK), { env: { OPENAI_API_KEY: 'sk-k' } });
    expect(c.providers.openai!.apiKey).toBe('sk-k');
  });

  it('a YAML syntax error gives line and column, never the line content', async () => {
    const path = await file('bad.yaml', 'providers:\n  openai:\n    apiKey: "sk-live-SECRET123\n');
    const e = await loadError(path);
    expect(e.problems).toHaveLength(1);
    expect(e.problems[0]!.path).toBe(path);
    expect(e.problems[0]!.message).toMatch(/^yaml syntax error at line \d+, column \d+: missing closing quote/);
    expect(e.message).not.toContain('SECRET123');
  });

  it('reports every YAML syntax error, with positions', async () => {
    const e = await loadError(await file('dup.yaml', 'providers: {}\nendpoints: {}\nproviders: {}\n'));
    expect(e.problems.map((p) => p.message)).toEqual(['yaml syntax error at line 3, column 1: duplicate key']);
  });

  it('an unquoted ${VAR} in a flow mapping is reported once, with a hint', async () => {
    const e = await loadError(await file('flow.yaml', 'providers:\n  openai: { baseURL: http://x, apiKey: ${KEY} }\n'));
    expect(e.problems.map((p) => p.message)).toEqual([
      'yaml syntax error at line 2, column 41: unexpected token (inside [ ] or { }, quote references: "${VAR}")',
    ]);
  });

  it('reports a tab used as indentation', async () => {
    const e = await loadError(await file('tab.yaml', 'providers:\n\topenai: {}\n'));
    expect(e.problems[0]!.message).toMatch(/^yaml syntax error at line 2, column 1: /);
  });

  it('a JSON syntax error is located without quoting the text', async () => {
    const e = await loadError(await file('bad.json', '{\n  "providers": {\n    "openai": { "apiKey": sk-live-SECRET123 }\n  }\n}\n'));
    expect(e.problems).toHaveLength(1);
    expect(e.problems[0]!.message).toMatch(/^json syntax error at line 3, column \d+/);
    expect(e.message).not.toContain('SECRET123');
  });

  it('JSON mistakes YAML would accept (a trailing comma, a comment) get a line and column too', async () => {
    const comma = await loadError(await file('comma.json', '{\n  "providers": {},\n  "endpoints": {},\n}\n'));
    expect(lines(comma.problems)).toEqual([`${join(dir, 'comma.json')}: json syntax error at line 4, column 1: expected double-quoted property name`]);
    const comment = await loadError(await file('comment.json', '{\n  // sk-live-SECRET456\n  "providers": {}\n}\n'));
    expect(comment.problems[0]!.message).toBe("json syntax error at line 2, column 3: expected property name or '}'");
    expect(comment.message).not.toContain('SECRET456');
    const cut = await loadError(await file('cut.json', '{\n  "providers": {'));
    expect(cut.problems[0]!.message).toMatch(/^json syntax error at line 2, column \d+: /);
  });

  it('a missing file is a ConfigError naming the file', async () => {
    const path = join(dir, 'nope.yaml');
    const e = await loadError(path);
    expect(lines(e.problems)).toEqual([`${path}: file not found`]);
    expect(e.message).toContain(path);
  });

  it('a directory is a ConfigError too', async () => {
    const e = await loadError(dir);
    expect(lines(e.problems)).toEqual([`${dir}: is a directory, not a file`]);
  });

  it('an empty file is reported as such', async () => {
    const e = await loadError(await file('empty.yaml', '# nothing but a comment\n'));
    expect(lines(e.problems)).toEqual([': the configuration is empty']);
  });

  it('an alias to a missing anchor is a syntax problem, not a crash', async () => {
    const e = await loadError(await file('alias.yaml', 'providers: *nowhere\n'));
    expect(e.problems[0]!.message).toMatch(/^yaml syntax error/);
  });

  it('schema problems from a file carry config paths', async () => {
    const e = await loadError(await file('schema.yaml', YAML_OK.replace('timeoutMs: 30000', 'timeoutMs: -1')), { OPENAI_API_KEY: 'sk-k' });
    expect(lines(e.problems)).toEqual(['endpoints.gpt-4o.timeoutMs: expected a positive number']);
  });
});

describe('checkConfigFile', () => {
  it('returns the config when valid', async () => {
    const r = await checkConfigFile(await file('c.yaml', YAML_OK), { env: { OPENAI_API_KEY: 'sk-k' } });
    expect(r.ok).toBe(true);
  });

  it('returns every problem when invalid, without throwing', async () => {
    const r = await checkConfigFile(await file('c2.yaml', YAML_OK.replace('model: gpt-4o,', '')), { env: {} });
    expect(r.ok).toBe(false);
    if (!r.ok) {
      expect(lines(r.problems)).toEqual([
        'providers.openai.apiKey: environment variable OPENAI_API_KEY is not set',
        'endpoints.gpt-4o.model: required',
      ]);
    }
  });

  it('returns a missing file as a problem', async () => {
    const r = await checkConfigFile(join(dir, 'missing.json'));
    expect(r).toEqual({ ok: false, problems: [{ path: join(dir, 'missing.json'), message: 'file not found' }] });
  });
});

describe('examples', () => {
  it('switchyard.yaml parses with OPENAI_API_KEY set', async () => {
    const c = await loadConfigFile(join(examples, 'switchyard.yaml'), { env: { OPENAI_API_KEY: 'sk-example' } });
    expect(c.routes.chat!.endpoints).toEqual(['gpt-4o', 'gpt-4o-mini']);
    expect(c.providers.openai!.apiKey).toBe('sk-example');
  });

  it('switchyard.yaml without OPENAI_API_KEY names the missing variable', async () => {
    const r = await checkConfigFile(join(examples, 'switchyard.yaml'), { env: {} });
    expect(r).toEqual({
      ok: false,
      problems: [{ path: 'providers.openai.apiKey', message: 'environment variable OPENAI_API_KEY is not set' }],
    });
  });

  it('local.yaml parses with no environment at all', async () => {
    const c = await loadConfigFile(join(examples, 'local.yaml'), { env: {} });
    expect(c.routes.local!.endpoints).toEqual(['qwen-vllm', 'qwen-ollama']);
    expect(c.providers.vllm).toEqual({ baseURL: 'http://127.0.0.1:8000/v1' });
    expect(c.providers.ollama!.apiKey).toBeUndefined();
  });
});
