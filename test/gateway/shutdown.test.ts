import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import OpenAI from 'openai';
import { afterEach, describe, expect, it } from 'vitest';
import { startHeldUpstream, type HeldUpstream } from './held-upstream.js';
import { waitFor } from './helpers.js';
import { gatewayUrl, spawnCli, type Spawned } from './spawn.js';

let upstream: HeldUpstream | undefined;
let proc: Spawned | undefined;
afterEach(async () => {
  if (proc && proc.child.exitCode === null) proc.child.kill('SIGKILL');
  await upstream?.close();
  upstream = undefined;
  proc = undefined;
});

function writeConfig(upstreamUrl: string, graceMs: number): string {
  const dir = mkdtempSync(join(tmpdir(), 'switchyard-shutdown-'));
  const file = join(dir, 'switchyard.yaml');
  writeFileSync(
    file,
    [
      'server:',
      `  shutdownGraceMs: ${graceMs}`,
      'providers:',
      `  held: { baseURL: "${upstreamUrl}" }`,
      'endpoints:',
      '  held: { provider: held, model: held, timeoutMs: 60000, streamIdleTimeoutMs: 60000 }',
      'routes:',
      '  chat: { endpoints: [held] }',
    ].join('\n'),
  );
  return file;
}

const HELLO = [{ role: 'user' as const, content: 'hi' }];

async function connectionRefused(url: string): Promise<boolean> {
  try {
    await fetch(`${url}/healthz`, { headers: { connection: 'close' } });
    return false;
  } catch {
    return true;
  }
}

describe('graceful shutdown (the CLI in a child process)', () => {
  it('on SIGTERM stops accepting, finishes every in-flight request and stream, exits 0', async () => {
    upstream = await startHeldUpstream();
    const held = upstream;
    proc = spawnCli(['serve', '--config', writeConfig(held.url, 30_000), '--port', '0']);
    const url = await gatewayUrl(proc);
    const client = new OpenAI({ baseURL: `${url}/v1`, apiKey: 'none', maxRetries: 0 });

    const plain = Array.from({ length: 4 }, () => client.chat.completions.create({ model: 'chat', messages: HELLO }));
    const streams = Array.from({ length: 2 }, async () => {
      const stream = await client.chat.completions.create({ model: 'chat', messages: HELLO, stream: true });
      let text = '';
      let finish: string | null | undefined;
      for await (const c of stream) {
        text += c.choices[0]?.delta?.content ?? '';
        finish = c.choices[0]?.finish_reason ?? finish;
      }
      return { text, finish };
    });
    await waitFor(() => held.held() === 6, 'all six requests to reach the upstream', 20_000);

    proc.child.kill('SIGTERM');
    // New connections are refused while the six are still held.
    await waitFor(() => connectionRefused(url), 'the listener to close', 20_000);
    expect(proc.child.exitCode).toBeNull();

    held.release();
    const answers = await Promise.all(plain);
    expect(answers.map((a) => a.choices[0]!.message.content)).toEqual(['Hello', 'Hello', 'Hello', 'Hello']);
    expect(await Promise.all(streams)).toEqual([
      { text: 'Hello', finish: 'stop' },
      { text: 'Hello', finish: 'stop' },
    ]);
    expect(await proc.exited).toBe(0);

    const lines = proc.stdout().split('\n').filter(Boolean).map((l) => JSON.parse(l) as Record<string, unknown>);
    expect(lines.filter((l) => l.msg === 'request' && l.outcome === 'success')).toHaveLength(6);
    expect(lines.find((l) => l.msg === 'stopped')).toMatchObject({ drained: true, abandoned: 0 });
  }, 60_000);

  it.each(['SIGINT', 'SIGHUP'] as const)(
    'on %s past the grace period ends every request as an answer (503, or an error event), logs each, exits 0',
    async (signal) => {
      upstream = await startHeldUpstream();
      const held = upstream;
      proc = spawnCli(['serve', '--config', writeConfig(held.url, 300), '--port', '0']);
      const url = await gatewayUrl(proc);
      const client = new OpenAI({ baseURL: `${url}/v1`, apiKey: 'none', maxRetries: 0 });
      const PLAIN = 10;
      const STREAMS = 10;
      const plain = Array.from({ length: PLAIN }, () => client.chat.completions.create({ model: 'chat', messages: HELLO }).catch((e: unknown) => e));
      const streams = Array.from({ length: STREAMS }, async () => {
        const stream = await client.chat.completions.create({ model: 'chat', messages: HELLO, stream: true });
        let text = '';
        try {
          for await (const c of stream) text += c.choices[0]?.delta?.content ?? '';
        } catch (e) {
          return { text, error: e };
        }
        return { text, error: undefined };
      });
      await waitFor(() => held.held() === PLAIN + STREAMS, 'every request to reach the upstream', 20_000);
      proc.child.kill(signal);
      expect(await proc.exited).toBe(0);

      for (const e of await Promise.all(plain)) {
        // An answer, not a reset connection: the SDK's error for a 503, with Retry-After.
        expect(e).toBeInstanceOf(OpenAI.APIError);
        const err = e as InstanceType<typeof OpenAI.APIError>;
        expect(err.status).toBe(503);
        expect(err.code).toBe('shutting_down');
        expect(err.headers?.get('retry-after')).toBe('1');
      }
      for (const r of await Promise.all(streams)) {
        // The stream had begun ('Hel'), then an OpenAI-shaped error event and no [DONE]: the SDK raises it.
        expect(r.text).toBe('Hel');
        expect(r.error).toBeInstanceOf(OpenAI.APIError);
        expect((r.error as InstanceType<typeof OpenAI.APIError>).code).toBe('shutting_down');
      }
      const lines = proc.stdout().split('\n').filter(Boolean).map((l) => JSON.parse(l) as Record<string, unknown>);
      const requests = lines.filter((l) => l.msg === 'request');
      expect(requests).toHaveLength(PLAIN + STREAMS);
      expect(requests.every((l) => l.code === 'shutting_down' && l.outcome === 'unavailable')).toBe(true);
      expect(requests.filter((l) => l.stream === 'interrupted')).toHaveLength(STREAMS);
      expect(requests.filter((l) => l.status === 503)).toHaveLength(PLAIN);
      expect(lines.find((l) => l.msg === 'shutting down')).toMatchObject({ reason: signal });
      expect(lines.find((l) => l.msg === 'stopped')).toMatchObject({ drained: false, abandoned: PLAIN + STREAMS });
    },
    60_000,
  );
});
