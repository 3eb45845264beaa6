import { createOpenAI } from '@ai-sdk/openai';
import { ChatOpenAI, OpenAIEmbeddings } from '@langchain/openai';
import { embed, generateText, jsonSchema, streamText, tool } from 'ai';
import pino from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseConfig } from '../../src/config/load.js';
import type { SwitchyardConfigInput } from '../../src/config/schema.js';
import { createGateway, type Gateway } from '../../src/gateway/app.js';
import { createRouter } from '../../src/router/router.js';
import type { Router } from '../../src/router/types.js';
import { startSimulator, type Simulator } from '../../src/simulator/index.js';
import { instrument, type Instrumentation } from '../../src/telemetry/index.js';

/*
 * The gateway as the other popular clients see it: the Vercel AI SDK (@ai-sdk/openai, chat and Responses
 * models, embeddings, tools) and LangChain (@langchain/openai), over real HTTP. Route `chat`'s OpenAI endpoint
 * is down, so its answers come from Claude through the Anthropic codec, streams included: what these clients
 * parse is the translated wire, not a pass-through of OpenAI's. Route `mini` is one healthy OpenAI-compatible
 * endpoint, for the Responses API (the AI SDK's default model) and embeddings.
 */

let openai: Simulator;
let anthropic: Simulator;
let healthy: Simulator;
let router: Router;
let telemetry: Instrumentation;
let gateway: Gateway;
let base: string;

beforeAll(async () => {
  openai = await startSimulator({ name: 'openai', faults: { always: { kind: 'status', status: 500 } } });
  anthropic = await startSimulator({ name: 'anthropic', requireApiKey: 'sk-ant-other-clients-1' });
  healthy = await startSimulator({ name: 'compatible' });
  const config: SwitchyardConfigInput = {
    providers: { openai: { baseURL: openai.url }, anthropic: { type: 'anthropic', baseURL: anthropic.url, apiKey: 'sk-ant-other-clients-1' }, compatible: { baseURL: healthy.url } },
    endpoints: {
      'gpt-4o': { provider: 'openai', model: 'gpt-4o' },
      claude: { provider: 'anthropic', model: 'claude-3-5-haiku-20241022' },
      mini: { provider: 'compatible', model: 'gpt-4o-mini' },
    },
    routes: { chat: { endpoints: ['gpt-4o', 'claude'] }, mini: { endpoints: ['mini'] } },
    breaker: { volumeThreshold: 2, resetTimeoutMs: 600_000, jitter: 0 },
  };
  router = createRouter(config);
  telemetry = instrument(router);
  gateway = createGateway({ router, config: parseConfig(config), metrics: telemetry, logger: pino({ level: 'silent' }) });
  base = `${(await gateway.listen(0, '127.0.0.1')).url}/v1`;
});

afterAll(async () => {
  await gateway?.close({ graceMs: 100 });
  telemetry?.stop();
  await router?.close();
  await Promise.all([openai?.close(), anthropic?.close(), healthy?.close()]);
});

describe('the Vercel AI SDK (@ai-sdk/openai) against the gateway', () => {
  const provider = () => createOpenAI({ baseURL: base, apiKey: 'unused-by-this-gateway' });

  it('generateText and streamText (with usage) over the chat model, answered by Claude', async () => {
    const plain = await generateText({ model: provider().chat('chat'), prompt: 'hello from the ai sdk', maxRetries: 0 });
    expect(plain.text).toContain('hello from the ai sdk');
    expect(plain.finishReason).toBe('stop');
    expect(plain.response.modelId).toBe('claude-3-5-haiku-20241022');
    const streamed = streamText({ model: provider().chat('chat'), prompt: 'hello streamed', maxRetries: 0 });
    let text = '';
    for await (const piece of streamed.textStream) text += piece;
    expect(text).toContain('hello streamed');
    expect((await streamed.usage).totalTokens).toBeGreaterThan(0);
    expect(await streamed.finishReason).toBe('stop');
  });

  it('a tool call comes back as the AI SDK tool call, with its JSON arguments parsed', async () => {
    const result = await generateText({
      model: provider().chat('chat'),
      prompt: 'what is the weather in Paris',
      tools: { get_weather: tool({ description: 'Weather in a city', inputSchema: jsonSchema<{ city: string }>({ type: 'object', properties: { city: { type: 'string' } }, required: ['city'] }) }) },
      toolChoice: { type: 'tool', toolName: 'get_weather' },
      maxRetries: 0,
    });
    expect(result.toolCalls).toHaveLength(1);
    expect(result.toolCalls[0]).toMatchObject({ toolName: 'get_weather', input: { city: expect.any(String) } });
    expect(result.finishReason).toBe('tool-calls');
  });

  it("the AI SDK's default model (the Responses API), plain and streamed, and embed", async () => {
    const plain = await generateText({ model: provider()('mini'), prompt: 'hello responses', maxRetries: 0 });
    expect(plain.text).toContain('hello responses');
    const streamed = streamText({ model: provider()('mini'), prompt: 'hello responses stream', maxRetries: 0 });
    let text = '';
    for await (const piece of streamed.textStream) text += piece;
    expect(text).toContain('hello responses stream');
    const { embedding } = await embed({ model: provider().embedding('mini'), value: 'a sentence', maxRetries: 0 });
    expect(embedding.length).toBeGreaterThan(0);
    expect(embedding.every((x) => typeof x === 'number')).toBe(true);
  });
});

describe('LangChain (@langchain/openai) against the gateway', () => {
  const chat = (streaming: boolean) => new ChatOpenAI({ model: 'chat', apiKey: 'unused-by-this-gateway', configuration: { baseURL: base }, streaming, maxRetries: 0 });

  it('invoke and stream, answered by Claude', async () => {
    const answer = await chat(false).invoke('hello from langchain');
    expect(String(answer.content)).toContain('hello from langchain');
    expect(answer.response_metadata).toMatchObject({ model_name: 'claude-3-5-haiku-20241022' });
    let text = '';
    for await (const piece of await chat(true).stream('hello streamed langchain')) text += String(piece.content);
    expect(text).toContain('hello streamed langchain');
  });

  it('embedQuery', async () => {
    const vector = await new OpenAIEmbeddings({ model: 'mini', apiKey: 'unused-by-this-gateway', configuration: { baseURL: base }, maxRetries: 0 }).embedQuery('a sentence');
    expect(vector.length).toBeGreaterThan(0);
  });

  it('the OpenAI endpoint is open and Claude served every chat call', async () => {
    const metrics = (await telemetry.scrape()).body;
    expect(metrics).toMatch(/switchyard_circuit_state\{endpoint="gpt-4o",state="open"\} 1/);
    expect(metrics).not.toMatch(/switchyard_attempts_total\{route="chat",endpoint="claude",outcome="(?!success)[a-z_]+"\} [1-9]/);
  });
});
