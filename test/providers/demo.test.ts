import { describe, expect, it } from 'vitest';
import type { ChatCompletion } from 'openai/resources/chat/completions';
import { startDemo } from '../../src/cli/demo.js';
import { createRouter } from '../../src/router/router.js';

describe('the demo config has a cross-provider chain', () => {
  it('route cross-provider goes primary → claude (Anthropic API) → gemini (Gemini API), all simulated', async () => {
    const demo = await startDemo();
    const router = createRouter(demo.config);
    try {
      router.forceOpen('primary');
      const a = (await router.dispatch({ model: 'cross-provider', messages: [{ role: 'user', content: 'hi' }] })).response as ChatCompletion;
      expect(a.model).toBe('claude-3-5-haiku-20241022');
      router.forceOpen('claude');
      const b = (await router.dispatch({ model: 'cross-provider', messages: [{ role: 'user', content: 'hi' }] })).response as ChatCompletion;
      expect(b.model).toBe('gemini-2.0-flash');
      expect(demo.describe().join('\n')).toContain('cross-provider');
    } finally {
      await router.close();
      await demo.close();
    }
  });
});
