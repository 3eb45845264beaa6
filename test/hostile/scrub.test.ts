import { afterEach, describe, expect, it } from 'vitest';
import { createAnswerScrubber } from '../../src/endpoint/answer-scrub.js';
import { SseParser } from '../../src/endpoint/sse.js';
import { startStack, type Stack } from '../gateway/helpers.js';
import { hostileProvider, type HostileProvider } from './hostile-provider.js';

/*
 * A provider (or a proxy in front of it) that echoes the key it was sent inside a successful answer: the
 * caller never gets it, plain or streamed, whole in one event or split across events and reads, on either
 * transport (issue 18).
 */

const KEY = 'sk-echo-canary-0123456789abcdef';
const HEADER = 'azure-echo-canary-0123456789';

let stack: Stack | undefined;
let echo: HostileProvider | undefined;
afterEach(async () => {
  await stack?.close();
  await echo?.close();
  stack = echo = undefined;
});

async function rawPost(url: string, stream: boolean): Promise<string> {
  const res = await fetch(`${url}/v1/chat/completions`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ model: 'chat', messages: [{ role: 'user', content: 'what is my key?' }], stream }),
  });
  expect(res.status).toBe(200);
  return res.text();
}

describe.each(['native', 'sdk'] as const)('keys echoed in successful answers, %s transport', (transport) => {
  it('never reach the caller, plain or streamed, split across events included', async () => {
    echo = await hostileProvider('echo-key', { secret: KEY });
    stack = await startStack({
      upstreams: {},
      extraProviders: { echo: { baseURL: echo.url, apiKey: KEY, headers: { 'api-key': HEADER }, transport } },
      extraEndpoints: { echo: { provider: 'echo', model: 'm' } },
      routes: { chat: { endpoints: ['echo'] } },
    });
    const plain = await rawPost(stack.url, false);
    expect(plain).not.toContain(KEY);
    expect(JSON.parse(plain).choices[0].message.content).toBe('your key is [redacted] and [redacted]');

    const streamed = await rawPost(stack.url, true);
    expect(streamed).not.toContain(KEY);
    const content = streamed
      .split('\n\n')
      .filter((e) => e.startsWith('data: {'))
      .map((e) => JSON.parse(e.slice(6)).choices[0].delta.content ?? '')
      .join('');
    // The halves of the key came in two events: joined, they are the key, so they are held and redacted.
    expect(content).toBe('your key is [redacted] and whole: [redacted].');
    expect(streamed).toContain('data: [DONE]');
  });
});

describe('the stream scrubber', () => {
  const scrubber = createAnswerScrubber([KEY, 'short-but-ok'])!;
  const chunk = (content: string | undefined, finish: string | null = null) => ({
    id: 'c',
    object: 'chat.completion.chunk',
    created: 1,
    model: 'm',
    choices: [{ index: 0, delta: content === undefined ? {} : { content }, finish_reason: finish }],
  });
  const run = (pieces: (string | undefined)[], finish = 'stop') => {
    const parser = new SseParser<ReturnType<typeof chunk>>(Number.POSITIVE_INFINITY, undefined, scrubber);
    let text = '';
    const events = pieces.map((p, i) => `data: ${JSON.stringify(chunk(p, i === pieces.length - 1 ? finish : null))}\n\n`).join('');
    parser.push(Buffer.from(events), (e) => {
      if (e.kind === 'chunk') text += e.value.choices[0]!.delta.content ?? '';
    });
    return text;
  };

  it('redacts a key split at any point across two events, and loses nothing that was not one', () => {
    for (let cut = 1; cut < KEY.length; cut++) {
      expect(run([`a ${KEY.slice(0, cut)}`, `${KEY.slice(cut)} b`, undefined])).toBe('a [redacted] b');
    }
    // A start of a key that turns out not to be one is handed on, with the choice's end at the latest.
    expect(run(['ends with sk-e', 'cho but is not', undefined])).toBe('ends with sk-echo but is not');
    expect(run(['ends with sk-ec', undefined])).toBe('ends with sk-ec');
    expect(run(['one char at a time: ', ...KEY.split(''), ' done', undefined])).toBe('one char at a time: [redacted] done');
  });

  it('redacts a key in tool call arguments split across events', () => {
    const parser = new SseParser<{ choices: { delta: { tool_calls?: { function: { arguments: string } }[] } }[] }>(Number.POSITIVE_INFINITY, undefined, scrubber);
    const tc = (args: string | undefined, finish: string | null) =>
      `data: ${JSON.stringify({ choices: [{ index: 0, delta: args === undefined ? {} : { tool_calls: [{ index: 0, function: { arguments: args } }] }, finish_reason: finish }] })}\n\n`;
    let args = '';
    parser.push(Buffer.from(tc(`{"k":"${KEY.slice(0, 9)}`, null) + tc(`${KEY.slice(9)}","x":"sk-e`, null) + tc(undefined, 'tool_calls')), (e) => {
      if (e.kind === 'chunk') for (const t of e.value.choices[0]!.delta.tool_calls ?? []) args += t.function.arguments;
    });
    expect(args).toBe('{"k":"[redacted]","x":"sk-e');
  });
});

describe('keys anywhere in a streamed event, found from the bytes of each read', () => {
  // A key in a field the chunk scrubber does not read (the model name): only the event's text catches it.
  const keys = [KEY, 'clé-secrète-0123', 'quote"and\\slash-99'];
  const scrubber = createAnswerScrubber(keys)!;
  const event = (model: string, content: string) =>
    `data: ${JSON.stringify({ id: 'c', object: 'chat.completion.chunk', created: 1, model, choices: [{ index: 0, delta: { content }, finish_reason: null }] })}\n\n`;

  it('mayHold answers true for bytes holding a key in either form, false for text sharing nothing with them', () => {
    for (const k of keys) {
      expect(scrubber.mayHold(Buffer.from(`before ${k} after`))).toBe(true);
      expect(scrubber.mayHold(Buffer.from(`before ${JSON.stringify(k)} after`))).toBe(true);
    }
    // Sampled: text that shares four characters with a key may answer true (then the text is searched).
    expect(scrubber.mayHold(Buffer.from('xyzw XYZW mnop MNOP ~~~~ '.repeat(20)))).toBe(false);
  });

  it('redacts a key whole in a read, or in an event split across two reads at any byte', () => {
    for (const k of keys) {
      const bytes = Buffer.from(event('m', 'first') + event(k, 'second') + event('m', `third ${k.length}`) + 'data: [DONE]\n\n');
      for (let cut = 0; cut <= bytes.length; cut += cut < 40 || cut > bytes.length - 40 ? 1 : 7) {
        const parser = new SseParser<{ model: string }>(Number.POSITIVE_INFINITY, undefined, scrubber);
        const models: string[] = [];
        const emit = (e: { kind: string; value?: { model: string } }) => void (e.kind === 'chunk' && models.push(e.value!.model));
        parser.push(bytes.subarray(0, cut), emit);
        parser.push(bytes.subarray(cut), emit);
        expect(models, `key ${k}, cut at ${cut}`).toEqual(['m', '[redacted]', 'm']);
      }
    }
  });
});
