import { createServer, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';

/*
 * An OpenAI-compatible upstream that holds every answer until the test releases it: requests stay in
 * flight exactly as long as a test needs, with no timing involved. Streams get their first content chunk
 * at once (so the gateway has started streaming) and the rest on release.
 */

export interface HeldUpstream {
  url: string;
  /** Requests received and not yet released. */
  held(): number;
  /** Completes every held request. */
  release(): void;
  close(): Promise<void>;
}

const chunk = (content: string | undefined, finish: string | null) =>
  `data: ${JSON.stringify({
    id: 'chatcmpl-held',
    object: 'chat.completion.chunk',
    created: 0,
    model: 'held',
    choices: [{ index: 0, delta: content === undefined ? {} : { content }, finish_reason: finish }],
  })}\n\n`;

export async function startHeldUpstream(): Promise<HeldUpstream> {
  const pending: (() => void)[] = [];
  const responses = new Set<ServerResponse>();
  const server = createServer((req, res) => {
    let text = '';
    req.on('data', (d: Buffer) => (text += d.toString()));
    req.on('end', () => {
      responses.add(res);
      res.on('close', () => responses.delete(res));
      const body = JSON.parse(text) as { stream?: boolean };
      if (body.stream) {
        res.writeHead(200, { 'content-type': 'text/event-stream' });
        res.write(chunk('Hel', null));
        pending.push(() => {
          res.write(chunk('lo', null));
          res.write(chunk(undefined, 'stop'));
          res.end('data: [DONE]\n\n');
        });
      } else {
        pending.push(() => {
          res.writeHead(200, { 'content-type': 'application/json' });
          res.end(
            JSON.stringify({
              id: 'chatcmpl-held',
              object: 'chat.completion',
              created: 0,
              model: 'held',
              choices: [{ index: 0, message: { role: 'assistant', content: 'Hello' }, finish_reason: 'stop' }],
              usage: { prompt_tokens: 1, completion_tokens: 1, total_tokens: 2 },
            }),
          );
        });
      }
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}/v1`,
    held: () => pending.length,
    release() {
      for (const p of pending.splice(0)) p();
    },
    close: () =>
      new Promise((resolve) => {
        for (const r of responses) r.destroy();
        server.close(() => resolve());
      }),
  };
}
