import { context, propagation, SpanKind, trace } from '@opentelemetry/api';
import { InMemorySpanExporter, NodeTracerProvider, SimpleSpanProcessor } from '@opentelemetry/sdk-trace-node';
import OpenAI from 'openai';
import pino from 'pino';
import { afterEach, describe, expect, it } from 'vitest';
import { parseConfig } from '../../src/config/load.js';
import { OVERLOAD_COOLDOWN_MS } from '../../src/endpoint/classify.js';
import type { SwitchyardConfigInput } from '../../src/config/schema.js';
import { createGateway, type Gateway } from '../../src/gateway/app.js';
import { createRouter } from '../../src/router/router.js';
import type { Router } from '../../src/router/types.js';
import { startSimulator, type FaultSpec, type Simulator } from '../../src/simulator/index.js';
import { instrument, type Instrumentation } from '../../src/telemetry/index.js';

/*
 * The seed's chain, gpt-4o → claude-3-5-haiku-20241022 → gemini-2.0-flash, each on a simulator speaking its
 * provider's own wire format (OpenAI chat, Anthropic Messages, Gemini generateContent), through the library
 * and through the gateway with the real openai SDK as the client.
 */

const KEYS = { openai: 'sk-openai-e2e-0001', anthropic: 'sk-ant-e2e-0002', gemini: 'gem-e2e-key-0003' };
const PROVIDER_NAMES = { 'gpt-4o': 'openai', claude: 'anthropic', gemini: 'gcp.gemini' } as const;
type Id = keyof typeof PROVIDER_NAMES;

interface Chain {
  router: Router;
  sims: Record<Id, Simulator>;
  config: SwitchyardConfigInput;
  telemetry: Instrumentation;
  exporter: InMemorySpanExporter;
}

let chain: Chain | undefined;
let gateway: Gateway | undefined;
let tracer: NodeTracerProvider | undefined;
afterEach(async () => {
  await gateway?.close({ graceMs: 100 });
  chain?.telemetry.stop();
  await chain?.router.close();
  await Promise.all(Object.values(chain?.sims ?? {}).map((s) => s.close()));
  await tracer?.shutdown();
  chain = gateway = tracer = undefined;
  trace.disable();
  context.disable();
  propagation.disable();
});

async function startChain(faults: Partial<Record<Id, FaultSpec>>): Promise<Chain> {
  const exporter = new InMemorySpanExporter();
  tracer = new NodeTracerProvider({ spanProcessors: [new SimpleSpanProcessor(exporter)] });
  tracer.register();
  const sims = {
    'gpt-4o': await startSimulator({ name: 'openai', requireApiKey: KEYS.openai, faults: faults['gpt-4o'] ?? {} }),
    claude: await startSimulator({ name: 'anthropic', requireApiKey: KEYS.anthropic, faults: faults.claude ?? {} }),
    gemini: await startSimulator({ name: 'gemini', requireApiKey: KEYS.gemini, faults: faults.gemini ?? {} }),
  };
  const config: SwitchyardConfigInput = {
    providers: {
      openai: { baseURL: sims['gpt-4o'].url, apiKey: KEYS.openai },
      anthropic: { type: 'anthropic', baseURL: sims.claude.url, apiKey: KEYS.anthropic },
      google: { type: 'gemini', baseURL: sims.gemini.geminiUrl, apiKey: KEYS.gemini },
    },
    endpoints: {
      'gpt-4o': { provider: 'openai', model: 'gpt-4o', timeoutMs: 10_000 },
      claude: { provider: 'anthropic', model: 'claude-3-5-haiku-20241022', timeoutMs: 10_000 },
      gemini: { provider: 'google', model: 'gemini-2.0-flash', timeoutMs: 10_000 },
    },
    routes: { chat: { endpoints: ['gpt-4o', 'claude', 'gemini'] } },
    breaker: { volumeThreshold: 2, errorThresholdPercentage: 50, resetTimeoutMs: 60_000, jitter: 0 },
  };
  // A frozen clock: cooldowns (Retry-After, 529) last the whole test, whatever the host's speed.
  const router = createRouter(config, { now: () => T0 });
  const telemetry = instrument(router);
  return (chain = { router, sims, config, telemetry, exporter });
}

const T0 = Date.parse('2026-12-05T12:00:00Z');
const ask = { model: 'chat', messages: [{ role: 'user' as const, content: 'hello chain' }] };
const state = (c: Chain, id: Id) => c.router.circuits().find((x) => x.endpoint === id)!.state;

/** The endpoint each CLIENT span named, with its gen_ai.provider.name and whether it failed. */
function attemptSpans(c: Chain): { endpoint: string; provider: unknown; error: unknown }[] {
  return c.exporter
    .getFinishedSpans()
    .filter((s) => s.kind === SpanKind.CLIENT)
    .map((s) => ({ endpoint: String(s.attributes['switchyard.endpoint']), provider: s.attributes['gen_ai.provider.name'], error: s.attributes['error.type'] }));
}

/** [name, faults, who serves, circuits that open, endpoints kept off by a cooldown instead]. */
const down: [string, Partial<Record<Id, FaultSpec>>, Id, Id[], Id[]][] = [
  ['openai down (500)', { 'gpt-4o': { always: { kind: 'status', status: 500 } } }, 'claude', ['gpt-4o'], []],
  [
    // A 529 without Retry-After keeps claude off for OVERLOAD_COOLDOWN_MS: the clock is frozen, so one 529 in all.
    'openai down and anthropic overloaded (529)',
    { 'gpt-4o': { always: { kind: 'reset' } }, claude: { always: { kind: 'status', status: 529 } } },
    'gemini',
    ['gpt-4o'],
    ['claude'],
  ],
  [
    'openai rate limited (429) and gemini down (503)',
    { 'gpt-4o': { always: { kind: 'status', status: 429 } }, gemini: { always: { kind: 'status', status: 503 } } },
    'claude',
    ['gpt-4o'],
    [],
  ],
];

/** Kept off by a Retry-After-like cooldown: closed, one attempt only, and a cooldown in the snapshot. */
function expectKeptOff(c: Chain, id: Id): void {
  const snap = c.router.circuits().find((x) => x.endpoint === id)!;
  expect(snap.state).toBe('closed');
  expect(snap.retryAfterUntil).toBe(T0 + OVERLOAD_COOLDOWN_MS);
  expect(c.sims[id].stats().requests).toBe(1);
}

describe('cross-provider chain through the library', () => {
  it.each(down)('%s: every caller served by %s, the right circuits open, spans name each provider', async (_name, faults, server, opened, kept) => {
    const c = await startChain(faults);
    for (let i = 0; i < 4; i++) {
      const answer = await c.router.chat.completions.create(ask);
      expect(answer.choices[0]!.message.content).toContain('hello chain');
      const stream = await c.router.chat.completions.create({ ...ask, stream: true });
      let text = '';
      for await (const chunk of stream) text += chunk.choices[0]?.delta?.content ?? '';
      expect(text).toContain('hello chain');
    }
    for (const id of opened) expect(state(c, id)).toBe('open');
    for (const id of kept) expectKeptOff(c, id);
    expect(state(c, server)).toBe('closed');
    const spans = attemptSpans(c);
    for (const s of spans) expect(s.provider).toBe(PROVIDER_NAMES[s.endpoint as Id]);
    expect(spans.filter((s) => s.endpoint === server).every((s) => s.error === undefined)).toBe(true);
    expect(spans.filter((s) => s.endpoint === server)).toHaveLength(8);
    const metrics = (await c.telemetry.scrape()).body;
    expect(metrics).toContain(`switchyard_attempts_total{route="chat",endpoint="${server}",outcome="success"} 8`);
  });

  it('an Anthropic in-band overloaded_error after the 200 falls back to gemini, the stream still served', async () => {
    const c = await startChain({ 'gpt-4o': { always: { kind: 'status', status: 500 } }, claude: { always: { kind: 'error_event' } } });
    const stream = await c.router.chat.completions.create({ ...ask, stream: true });
    const models = new Set<string>();
    for await (const chunk of stream) models.add(chunk.model);
    expect([...models]).toEqual(['gemini-2.0-flash']);
    expect(attemptSpans(c).map((s) => [s.endpoint, s.provider, s.error])).toEqual([
      ['gpt-4o', 'openai', expect.any(String)],
      ['claude', 'anthropic', expect.any(String)],
      ['gemini', 'gcp.gemini', undefined],
    ]);
  });
});

describe('cross-provider chain through the gateway, the openai SDK as client', () => {
  it.each(down)('%s: the SDK always gets an answer, from %s', async (_name, faults, server, opened, kept) => {
    const c = await startChain(faults);
    gateway = createGateway({ router: c.router, config: parseConfig(c.config), metrics: c.telemetry, logger: pino({ level: 'silent' }) });
    const { url } = await gateway.listen(0, '127.0.0.1');
    const client = new OpenAI({ baseURL: `${url}/v1`, apiKey: 'unused-by-this-gateway', maxRetries: 0 });
    const models = { 'gpt-4o': 'gpt-4o', claude: 'claude-3-5-haiku-20241022', gemini: 'gemini-2.0-flash' } as const;
    for (let i = 0; i < 3; i++) {
      const answer = await client.chat.completions.create(ask);
      expect(answer.model).toBe(models[server]);
      const stream = await client.chat.completions.create({ ...ask, stream: true, stream_options: { include_usage: true } });
      let text = '';
      let usage: unknown;
      for await (const chunk of stream) {
        text += chunk.choices[0]?.delta?.content ?? '';
        usage = chunk.usage ?? usage;
      }
      expect(text).toContain('hello chain');
      expect(usage).toMatchObject({ total_tokens: expect.any(Number) });
    }
    for (const id of opened) expect(state(c, id)).toBe('open');
    for (const id of kept) expectKeptOff(c, id);
    const metrics = await (await fetch(`${url}/metrics`)).text();
    expect(metrics).toContain(`switchyard_attempts_total{route="chat",endpoint="${server}",outcome="success"} 6`);
  });
});

describe('a parameter no endpoint of the chain can take, through the gateway', () => {
  it('n > 1 with gpt-4o down: claude refuses it before any call, gemini serves it (candidateCount)', async () => {
    const c = await startChain({ 'gpt-4o': { always: { kind: 'status', status: 500 } } });
    gateway = createGateway({ router: c.router, config: parseConfig(c.config), metrics: c.telemetry, logger: pino({ level: 'silent' }) });
    const { url } = await gateway.listen(0, '127.0.0.1');
    const client = new OpenAI({ baseURL: `${url}/v1`, apiKey: 'unused-by-this-gateway', maxRetries: 0 });
    const answer = await client.chat.completions.create({ ...ask, n: 2 });
    expect(answer.model).toBe('gemini-2.0-flash');
    expect(answer.choices).toHaveLength(2);
    expect(c.sims.claude.stats().requests).toBe(0);
  });

  it('served nowhere (the others down): the SDK gets the 502 of all attempts failing, no key in it', async () => {
    const c = await startChain({ 'gpt-4o': { always: { kind: 'status', status: 500 } }, gemini: { always: { kind: 'status', status: 500 } } });
    gateway = createGateway({ router: c.router, config: parseConfig(c.config), metrics: c.telemetry, logger: pino({ level: 'silent' }) });
    const { url } = await gateway.listen(0, '127.0.0.1');
    const client = new OpenAI({ baseURL: `${url}/v1`, apiKey: 'unused-by-this-gateway', maxRetries: 0 });
    const err = (await client.chat.completions.create({ ...ask, n: 2 }).catch((e: unknown) => e)) as InstanceType<typeof OpenAI.APIError>;
    expect(err).toBeInstanceOf(OpenAI.APIError);
    expect(err.status).toBe(502);
    expect(JSON.stringify(err.error)).toContain("all_attempts_failed");
    const text = JSON.stringify(err.error);
    for (const key of Object.values(KEYS)) expect(text).not.toContain(key);
    // Claude could never take it: skipped (unsupported), not tried, never charged.
    expect(c.router.circuits().find((x) => x.endpoint === 'claude')!.window.failures).toBe(0);
  });

  it('asked of claude alone: the SDK gets an OpenAI-shaped 400 naming the parameter', async () => {
    const c = await startChain({});
    gateway = createGateway({ router: c.router, config: parseConfig(c.config), metrics: c.telemetry, logger: pino({ level: 'silent' }) });
    const { url } = await gateway.listen(0, '127.0.0.1');
    const client = new OpenAI({ baseURL: `${url}/v1`, apiKey: 'unused-by-this-gateway', maxRetries: 0 });
    const err = (await client.chat.completions.create({ ...ask, model: 'claude', n: 2 }).catch((e: unknown) => e)) as InstanceType<typeof OpenAI.APIError>;
    expect(err).toBeInstanceOf(OpenAI.BadRequestError);
    expect(err).toMatchObject({ status: 400, param: 'n', code: 'unsupported_parameter', type: 'invalid_request_error' });
    expect(c.sims.claude.stats().requests).toBe(0);
  });
});
