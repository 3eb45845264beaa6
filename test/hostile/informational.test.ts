import { afterEach, describe, expect, it } from 'vitest';
import { CancelSource } from '../../src/endpoint/cancellation.js';
import { buildEndpoints } from '../../src/endpoint/endpoint.js';
import { parseConfig } from '../../src/config/index.js';
import { readAll } from '../endpoint/helpers.js';
import { hostileProvider, type HostileProvider } from './hostile-provider.js';

/*
 * A provider that sends an informational answer (`100 Continue` unasked, `103 Early Hints`) before its real
 * one: the real answer is what counts, on either transport (issue 18).
 */

let p: HostileProvider | undefined;
afterEach(async () => {
  await p?.close();
  p = undefined;
});

const messages = [{ role: 'user' as const, content: 'hi' }];

describe.each(['native', 'sdk'] as const)('informational answers before the real one, %s transport', (transport) => {
  it.each(['continue', 'early-hints'] as const)('%s: the answer that follows is read, plain and streamed', async (kind) => {
    p = await hostileProvider(kind);
    const config = parseConfig({ providers: { p: { baseURL: p.url, transport } }, endpoints: { e: { provider: 'p', model: 'm' } } }, { env: {} });
    const endpoint = buildEndpoints(config).get('e')!;
    try {
      const plain = (await endpoint.complete({ model: 'm', messages }, new CancelSource())) as { value?: unknown; choices?: unknown };
      const value = (plain.value ?? plain) as { choices: { message: { content: string } }[] };
      expect(value.choices[0]!.message.content).toBe('Hello');
      const r = await readAll(await endpoint.stream({ model: 'm', messages, stream: true }, new CancelSource()));
      expect(r.error).toBeUndefined();
      expect(r.got).toHaveLength(2);
    } finally {
      endpoint.close();
    }
  });
});
