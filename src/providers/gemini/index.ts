import type { Codec } from '../codec.js';
import { decodeGemini, geminiDecoder, geminiFailure, geminiStreamStatus } from './answer.js';
import { encodeGemini } from './request.js';

/** Gemini's generateContent API (`{baseURL}/models/{model}:generateContent`, `x-goog-api-key`). */
export function geminiCodec(apiKey: string | undefined, headers: Record<string, string> | undefined): Codec {
  return {
    type: 'gemini',
    headers: { ...(apiKey ? { 'x-goog-api-key': apiKey } : {}), ...headers },
    encode: encodeGemini,
    decode: decodeGemini,
    decoder: geminiDecoder,
    failure: geminiFailure,
    streamFailureStatus: geminiStreamStatus,
  };
}
