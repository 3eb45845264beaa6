import type { IncomingMessage, ServerResponse } from 'node:http';
import type { SimulatorCore } from './core.js';
import { checkRange } from './chat-params.js';
import { estimateTokens } from './plan.js';
import { mulberry32 } from './random.js';
import { admit, answerJson, type Invalid } from './turn.js';

/*
 * POST /v1/embeddings: a deterministic unit vector per input (the same text always gets the same vector),
 * as floats or, with `encoding_format: "base64"`, as little-endian float32 bytes in base64, which is what
 * the openai SDK asks for by default and decodes itself.
 */

export interface EmbeddingsRequest {
  model: string;
  input: string | string[] | number[] | number[][];
  encoding_format?: 'float' | 'base64';
  dimensions?: number;
}

/** Dimensions when the request names none: small, so tests and benchmarks stay cheap. */
export const DEFAULT_DIMENSIONS = 16;
const MAX_INPUTS = 2048;

const isTokens = (v: unknown): v is number[] => Array.isArray(v) && v.length > 0 && v.every((t) => Number.isInteger(t) && t >= 0);

/** The inputs, each as text (token arrays are joined), or undefined when `input` is not a valid shape. */
function inputs(input: unknown): string[] | undefined {
  if (typeof input === 'string') return [input];
  if (isTokens(input)) return [input.join(' ')];
  if (!Array.isArray(input) || input.length === 0) return undefined;
  if (input.every((s) => typeof s === 'string')) return input as string[];
  if (input.every(isTokens)) return (input as number[][]).map((t) => t.join(' '));
  return undefined;
}

export function invalidEmbeddingsRequest(body: unknown): Invalid {
  if (typeof body !== 'object' || body === null || Array.isArray(body)) return { message: 'the body must be a JSON object', param: 'body' };
  const b = body as Record<string, unknown>;
  if (typeof b.model !== 'string' || b.model === '') return { message: "'model' must be a non-empty string", param: 'model' };
  const list = inputs(b.input);
  if (!list) return { message: "'input' must be a string, an array of strings, or an array of token arrays", param: 'input', code: 'invalid_type' };
  if (list.length > MAX_INPUTS) return { message: `'input' has ${list.length} items, more than ${MAX_INPUTS}`, param: 'input', code: 'array_above_max_length' };
  if (list.some((s) => s === '')) return { message: "'input' must not contain an empty string", param: 'input', code: 'invalid_value' };
  if (b.encoding_format !== undefined && b.encoding_format !== 'float' && b.encoding_format !== 'base64') {
    return { message: "Invalid value for 'encoding_format': expected 'float' or 'base64'.", param: 'encoding_format', code: 'invalid_value' };
  }
  return checkRange(b, 'dimensions', 1, 3072, true);
}

/** FNV-1a, to seed a text's vector. */
function hash(text: string): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < text.length; i++) h = Math.imul(h ^ text.charCodeAt(i), 0x01000193);
  return h >>> 0;
}

/** The text's unit vector of `dims` float32 values. */
export function embed(text: string, dims: number): Float32Array {
  const rng = mulberry32(hash(text));
  const v = new Float32Array(dims);
  let norm = 0;
  for (let i = 0; i < dims; i++) {
    v[i] = rng() * 2 - 1;
    norm += v[i]! * v[i]!;
  }
  const scale = norm > 0 ? 1 / Math.sqrt(norm) : 0;
  for (let i = 0; i < dims; i++) v[i] = v[i]! * scale;
  return v;
}

function encoded(v: Float32Array, base64: boolean): number[] | string {
  if (!base64) return Array.from(v);
  const bytes = Buffer.alloc(v.length * 4);
  v.forEach((x, i) => bytes.writeFloatLE(x, i * 4));
  return bytes.toString('base64');
}

export async function handleEmbeddings(core: SimulatorCore, req: IncomingMessage, res: ServerResponse): Promise<void> {
  const turn = await admit<EmbeddingsRequest>(core, req, res, invalidEmbeddingsRequest);
  if (!turn) return;
  const { body } = turn;
  const texts = inputs(body.input)!;
  const dims = body.dimensions ?? DEFAULT_DIMENSIONS;
  const base64 = body.encoding_format === 'base64';
  // `empty`: an answer with no vectors at all.
  const data = turn.fault?.kind === 'empty' ? [] : texts.map((t, index) => ({ object: 'embedding', index, embedding: encoded(embed(t, dims), base64) }));
  const tokens = texts.reduce((n, t) => n + estimateTokens(t), 0);
  const answer = JSON.stringify({ object: 'list', data, model: body.model, usage: { prompt_tokens: tokens, total_tokens: tokens } });
  return answerJson(turn, answer, 0);
}
