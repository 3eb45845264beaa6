import type { Codec } from '../codec.js';
import { anthropicDecoder, anthropicFailure, anthropicStreamStatus, decodeAnthropic } from './answer.js';
import { encodeAnthropic } from './request.js';

/** The Messages API version sent on every call. */
export const ANTHROPIC_VERSION = '2023-06-01';

/** Anthropic's Messages API (`POST {baseURL}/messages`, `x-api-key`, `anthropic-version`). */
export function anthropicCodec(apiKey: string | undefined, headers: Record<string, string> | undefined): Codec {
  return {
    type: 'anthropic',
    headers: { 'anthropic-version': ANTHROPIC_VERSION, ...(apiKey ? { 'x-api-key': apiKey } : {}), ...headers },
    encode: encodeAnthropic,
    decode: decodeAnthropic,
    decoder: anthropicDecoder,
    failure: anthropicFailure,
    streamFailureStatus: anthropicStreamStatus,
  };
}
