import { providerType, type ProviderConfig } from '../config/schema.js';
import { anthropicCodec } from './anthropic/index.js';
import type { Codec } from './codec.js';
import { geminiCodec } from './gemini/index.js';

export type { Codec } from './codec.js';
export { UnsupportedParameterError, isUnsupportedParameterError } from './errors.js';

/** The codec of a provider whose type is not the OpenAI wire format (anthropic, gemini). */
export function codecFor(p: ProviderConfig): Codec {
  const type = providerType(p);
  if (type === 'anthropic') return anthropicCodec(p.apiKey, p.headers);
  if (type === 'gemini') return geminiCodec(p.apiKey, p.headers);
  throw new Error(`no codec for provider type ${type}`);
}
