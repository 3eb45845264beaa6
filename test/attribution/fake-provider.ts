import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';

/*
 * A provider of these tests' own, answering the way real ones do to requests that are legitimately odd (the
 * "poison" of issue 17). A request picks its case with a marker `[[case]]` in its first message; anything
 * else is an ordinary answer. Each behaviour is modelled on what OpenAI's API sends.
 */

export type PoisonCase =
  | 'stop-at-once' // the caller's own stop sequence matched at once: "" with finish_reason stop
  | 'length-empty' // a reasoning model spent max_tokens thinking: "" with finish_reason length
  | 'json-cut' // JSON mode cut by max_tokens
  | 'n2-one-empty' // n: 2, one choice empty
  | 'newline' // "\n" for max_tokens: 1
  | 'empty-normal' // "" with a normal finish: the one empty answer that is a failure (of unclear blame)
  | 'flagged' // 403 for flagged input
  | 'too-large' // 429 "Request too large" with Retry-After: 120
  | 'ctx-event' // a 200 stream whose first event is an error of a client type
  | 'no-content-stream' // a stream with no content, finish_reason length
  | 'truncated-stream' // a stream that ends with no content and no finish_reason
  | 'reset-413' // 413 while the body is still going up, then the connection reset
  | 'long'; // a long generation: nothing until after the endpoint's timeout

export interface FakeProviderOptions {
  /** Every request hangs: accepted, never answered. */
  hang?: boolean;
  /** Answers 404 model_not_found to everything (a retired or misspelt model). */
  modelNotFound?: boolean;
  /** A parameter this provider rejects with a 400 naming it, as some servers do (`logprobs`, say). */
  rejectParam?: string;
  /** How long a `long` answer takes. */
  longMs?: number;
  /** Chunks of an ordinary stream, and the time between them. */
  chunks?: number;
  chunkDelayMs?: number;
}

export interface FakeProvider {
  readonly url: string;
  /** Requests received, by case (`ok` for ordinary ones). */
  readonly hits: Map<string, number>;
  /** Requests whose answer has not ended. */
  inFlight(): number;
  /** Changes how it behaves from the next request on. */
  configure(next: FakeProviderOptions): void;
  close(): Promise<void>;
}

const answer = (choices: unknown[]) => ({
  id: 'chatcmpl-fake',
  object: 'chat.completion',
  created: 1,
  model: 'fake-model',
  choices,
  usage: { prompt_tokens: 5, completion_tokens: 1, total_tokens: 6 },
});
const choice = (content: string, finish: string, index = 0) => ({ index, message: { role: 'assistant', content, refusal: null }, finish_reason: finish, logprobs: null });
const chunk = (delta: Record<string, unknown>, finish: string | null) => ({
  id: 'chatcmpl-fake',
  object: 'chat.completion.chunk',
  created: 1,
  model: 'fake-model',
  choices: [{ index: 0, delta, finish_reason: finish, logprobs: null }],
});
const error = (message: string, type: string, code: string | null, param: string | null = null) => ({ error: { message, type, param, code } });

const PLAIN: Partial<Record<PoisonCase, () => unknown>> = {
  'stop-at-once': () => answer([choice('', 'stop')]),
  'length-empty': () => answer([choice('', 'length')]),
  'json-cut': () => answer([choice('{"answer": "this was cut sho', 'length')]),
  'n2-one-empty': () => answer([choice('', 'stop', 0), choice('the other choice', 'stop', 1)]),
  newline: () => answer([choice('\n', 'length')]),
  'empty-normal': () => answer([choice('', 'stop')]),
};

function send(res: ServerResponse, status: number, body: unknown, headers: Record<string, string> = {}): void {
  const text = JSON.stringify(body);
  res.writeHead(status, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(text), ...headers });
  res.end(text);
}

function sse(res: ServerResponse, events: unknown[], done = true): void {
  res.writeHead(200, { 'content-type': 'text/event-stream' });
  for (const e of events) res.write(`data: ${JSON.stringify(e)}\n\n`);
  if (done) res.write('data: [DONE]\n\n');
  res.end();
}

const MARKER = /\[\[([a-z0-9-]+)\]\]/;

export async function startFakeProvider(initial: FakeProviderOptions = {}): Promise<FakeProvider> {
  let opts = initial;
  const hits = new Map<string, number>();
  const open = new Set<ServerResponse>();
  const timers = new Set<NodeJS.Timeout>();
  const later = (ms: number, fn: () => void) => {
    const t = setTimeout(() => {
      timers.delete(t);
      fn();
    }, ms);
    timers.add(t);
  };

  function serve(req: IncomingMessage, res: ServerResponse, raw: string, first: string): void {
    const marked = MARKER.exec(first)?.[1] as PoisonCase | undefined;
    hits.set(marked ?? 'ok', (hits.get(marked ?? 'ok') ?? 0) + 1);
    if (opts.hang) return;
    if (opts.modelNotFound) {
      return send(res, 404, error('The model `fake-model` does not exist or you do not have access to it.', 'invalid_request_error', 'model_not_found'));
    }
    let body: Record<string, unknown>;
    try {
      body = JSON.parse(raw) as Record<string, unknown>;
    } catch {
      return send(res, 400, error('We could not parse the JSON body of your request.', 'invalid_request_error', null));
    }
    if (opts.rejectParam && body[opts.rejectParam] !== undefined) {
      const p = opts.rejectParam;
      return send(res, 400, error(`Unsupported parameter: '${p}' is not supported with this model.`, 'invalid_request_error', 'unsupported_parameter', p));
    }
    const stream = body.stream === true;
    switch (marked) {
      case 'flagged':
        return send(res, 403, error('Your request was flagged by our content moderation system.', 'invalid_request_error', 'content_policy_violation'));
      case 'too-large':
        return send(
          res,
          429,
          error('Request too large for fake-model on tokens per min (TPM): Limit 30000, Requested 50000.', 'tokens', 'rate_limit_exceeded'),
          { 'retry-after': '120' },
        );
      case 'ctx-event':
        return sse(res, [error("This model's maximum context length is 128000 tokens.", 'invalid_request_error', 'context_length_exceeded', 'messages')], false);
      case 'no-content-stream':
        return sse(res, [chunk({ role: 'assistant', content: '' }, null), chunk({}, 'length')]);
      case 'truncated-stream':
        return sse(res, [chunk({ role: 'assistant', content: '' }, null)]);
      case 'long':
        return later(opts.longMs ?? 1_000, () => (stream ? ordinaryStream(res) : send(res, 200, answer([choice('a long answer', 'stop')]))));
      default:
    }
    const plain = marked ? PLAIN[marked] : undefined;
    if (plain) {
      const value = plain() as { choices: { message: { content: string }; finish_reason: string }[] };
      if (!stream) return send(res, 200, value);
      const events: unknown[] = [chunk({ role: 'assistant', content: '' }, null)];
      for (const c of value.choices) if (c.message.content) events.push(chunk({ content: c.message.content }, null));
      events.push(chunk({}, value.choices[0]!.finish_reason));
      return sse(res, events);
    }
    if (stream) return ordinaryStream(res);
    send(res, 200, answer([choice('hello from the fake provider', 'stop')]));
  }

  /** The role chunk at once, then each content chunk `chunkDelayMs` after the one before, then [DONE]. */
  function ordinaryStream(res: ServerResponse): void {
    res.writeHead(200, { 'content-type': 'text/event-stream' });
    res.write(`data: ${JSON.stringify(chunk({ role: 'assistant', content: '' }, null))}\n\n`);
    const n = opts.chunks ?? 2;
    let i = 0;
    const next = (): void => {
      if (res.destroyed) return;
      if (i < n) {
        res.write(`data: ${JSON.stringify(chunk({ content: `part ${i} ` }, null))}\n\n`);
        i++;
        return opts.chunkDelayMs ? later(opts.chunkDelayMs, next) : next();
      }
      res.write(`data: ${JSON.stringify(chunk({}, 'stop'))}\n\n`);
      res.end('data: [DONE]\n\n');
    };
    if (opts.chunkDelayMs) later(opts.chunkDelayMs, next);
    else next();
  }

  const server = createServer((req, res) => {
    open.add(res);
    res.on('close', () => open.delete(res));
    const parts: Buffer[] = [];
    let decided = false;
    req.on('data', (b: Buffer) => {
      parts.push(b);
      // As a real server does with a body over its limit: answered at once, the connection dropped while
      // the client is still sending.
      if (!decided && b.toString('latin1').includes('[[reset-413]]')) {
        decided = true;
        hits.set('reset-413', (hits.get('reset-413') ?? 0) + 1);
        const text = JSON.stringify(error('Request entity too large.', 'invalid_request_error', 'request_too_large'));
        res.writeHead(413, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(text), connection: 'close' });
        res.end(text, () => req.socket.destroy());
      }
    });
    req.on('end', () => {
      if (decided) return;
      const raw = Buffer.concat(parts).toString('utf8');
      serve(req, res, raw, raw.slice(0, 4096));
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}/v1`,
    hits,
    inFlight: () => open.size,
    configure: (next) => {
      opts = next;
    },
    async close() {
      for (const t of timers) clearTimeout(t);
      for (const r of open) r.destroy();
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}
