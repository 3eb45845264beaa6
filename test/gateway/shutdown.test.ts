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

  it('cuts what is still running when the grace period ends, and still exits 0', async () => {
    upstream = await startHeldUpstream();
    const held = upstream;
    proc = spawnCli(['serve', '--config', writeConfig(held.url, 200), '--port', '0']);
    const url = await gatewayUrl(proc);
    const client = new OpenAI({ baseURL: `${url}/v1`, apiKey: 'none', maxRetries: 0 });
    const pending = client.chat.completions.create({ model: 'chat', messages: HELLO }).catch((e: unknown) => e);
    await waitFor(() => held.held() === 1, 'the request to reach the upstream', 20_000);
    proc.child.kill('SIGINT');
    expect(await proc.exited).toBe(0);
    expect(await pending).toBeInstanceOf(Error);
    const stopped = proc
      .stdout()
      .split('\n')
      .filter(Boolean)
      .map((l) => JSON.parse(l) as Record<string, unknown>)
      .find((l) => l.msg === 'stopped');
    expect(stopped).toMatchObject({ drained: false, abandoned: 1 });
  }, 60_000);
});
