import type { ChatCompletionChunk } from 'openai/resources/chat/completions';
import { createScrubber, MIN_SECRET_CHARS } from '../config/secrets.js';

/*
 * The configured keys taken out of successful answers, plain and streamed, on either transport: a provider
 * (or a proxy in front of it) that echoes the key it was sent must not get it to the caller. Errors are
 * scrubbed where they are answered (the gateway); this is the answers the router hands on as they came.
 * Nothing is built, and nothing costs, when no key is configured.
 */

/** One stream's scrubbing of text split across its events (see `ChunkScrubber.apply`). */
export interface ChunkScrubber {
  /**
   * Scrubs the string deltas of `chunk` in place, carrying over from one event to the next the end of a
   * delta that could be the start of a key (a key split across events is whole once joined). The held text is
   * handed on with the choice's `finish_reason` chunk. True when it changed anything.
   */
  apply(chunk: ChatCompletionChunk): boolean;
}

export interface AnswerScrubber {
  /** A whole text: an event's or a plain answer's JSON (raw and JSON-escaped forms of each key). */
  text(text: string): string;
  /**
   * False when `bytes` (UTF-8) cannot hold any key whole, in either form; true when they may. The cheap test
   * before `text` where the bytes are at hand: a read of a stream, a plain answer's body.
   */
  mayHold(bytes: Uint8Array): boolean;
  /** A parsed answer, its strings scrubbed in place; returns it. */
  value<T>(value: T): T;
  stream(): ChunkScrubber;
}

const REDACTED = '[redacted]';
/** The string fields of a chunk's delta that carry text a key could be echoed in. */
const DELTA_TEXT = ['content', 'refusal', 'reasoning_content', 'reasoning'] as const;
const OTHER_TEXT = DELTA_TEXT.slice(1);

/** The quick tests that a text, or the UTF-8 bytes of one, cannot hold any of the keys (false positives allowed). */
interface Sampler {
  chars(t: string): boolean;
  bytes(b: Uint8Array): boolean;
}

/**
 * Every four characters of every key (and every four bytes of its UTF-8) go in one table, and a text is
 * sampled every (shortest key - 3) units, a stride at which any occurrence of a key covers a sampled window
 * of four. For keys of 20 characters or more, about one look-up per 17 characters instead of a scan of the
 * whole text per key. Bytes are sampled where they are at hand: a character of a string costs several times a
 * byte of an array to read (both measured: docs/gateway.md).
 */
function sampler(keys: readonly string[]): Sampler {
  // A bitmap of the grams' low 16 bits: a typed-array load per sample, where a Set look-up cost ten times more.
  const grams = new Uint8Array(65536);
  const gram = (t: string, p: number) =>
    (((t.charCodeAt(p) * 31 + t.charCodeAt(p + 1)) * 31 + t.charCodeAt(p + 2)) * 31 + t.charCodeAt(p + 3)) | 0;
  const byteGram = (b: Uint8Array, p: number) => (((b[p]! * 31 + b[p + 1]!) * 31 + b[p + 2]!) * 31 + b[p + 3]!) | 0;
  let shortest = Number.POSITIVE_INFINITY;
  for (const k of keys) {
    // A key's UTF-8 is at least as long as the key: the stride of its characters is safe for its bytes.
    shortest = Math.min(shortest, k.length);
    for (let p = 0; p + 4 <= k.length; p++) grams[gram(k, p) & 0xffff] = 1;
    const utf8 = Buffer.from(k);
    for (let p = 0; p + 4 <= utf8.length; p++) grams[byteGram(utf8, p) & 0xffff] = 1;
  }
  const stride = Math.max(1, shortest - 3);
  return {
    chars(t) {
      for (let p = 0; p + 4 <= t.length; p += stride) if (grams[gram(t, p) & 0xffff] === 1) return true;
      return false;
    },
    bytes(b) {
      for (let p = 0; p + 4 <= b.length; p += stride) if (grams[byteGram(b, p) & 0xffff] === 1) return true;
      return false;
    },
  };
}

/** An AnswerScrubber for `secrets`, or undefined when none is long enough to scrub. */
export function createAnswerScrubber(secrets: readonly string[]): AnswerScrubber | undefined {
  const raw = [...new Set(secrets.filter((s) => s.length >= MIN_SECRET_CHARS))].sort((a, b) => b.length - a.length);
  if (raw.length === 0) return undefined;
  const full = createScrubber(raw);
  const sample = sampler([...raw, ...raw.map((s) => JSON.stringify(s).slice(1, -1))]);
  const mayContain = sample.chars;
  const text = (t: string) => (mayContain(t) ? full(t) : t);
  const plain = (t: string) => {
    if (!mayContain(t)) return t;
    let out = t;
    for (const s of raw) if (out.includes(s)) out = out.split(s).join(REDACTED);
    return out;
  };
  /**
   * Characters at the end of `t` that are the start of a key (its longest such end), 0 when none: for each
   * key, the places in the last (key length - 1) characters where its first character is, from the earliest.
   */
  const heldBack = (t: string) => {
    let best = 0;
    for (const s of raw) {
      const first = s[0]!;
      let at = t.indexOf(first, Math.max(0, t.length - s.length + 1));
      while (at !== -1 && t.length - at > best) {
        if (s.startsWith(t.slice(at))) {
          best = t.length - at;
          break;
        }
        at = t.indexOf(first, at + 1);
      }
    }
    return best;
  };
  return {
    text,
    mayHold: sample.bytes,
    value(value) {
      const stack: unknown[] = [value];
      while (stack.length > 0) {
        const v = stack.pop();
        if (v === null || typeof v !== 'object') continue;
        const o = v as Record<string, unknown>;
        for (const k of Object.keys(o)) {
          const x = o[k];
          if (typeof x === 'string') {
            const clean = plain(x);
            if (clean !== x) o[k] = clean;
          } else if (x !== null && typeof x === 'object') stack.push(x);
        }
      }
      return value;
    },
    stream() {
      const carry = new Map<string, string>();
      /** `piece` after what was held for `key`, scrubbed, minus a new possible start of a key (held now). */
      const pass = (key: string, piece: string): string => {
        const before = carry.get(key);
        const joined = before ? before + piece : piece;
        const clean = plain(joined);
        const hold = heldBack(clean);
        if (hold > 0) carry.set(key, clean.slice(clean.length - hold));
        else if (before) carry.delete(key);
        return hold > 0 ? clean.slice(0, clean.length - hold) : clean;
      };
      /** What is still held for `key`, given up. */
      const take = (key: string): string | undefined => {
        const held = carry.get(key);
        if (held !== undefined) carry.delete(key);
        return held;
      };
      return {
        apply(chunk) {
          let changed = false;
          const choices = chunk.choices;
          if (!Array.isArray(choices)) return false;
          for (const choice of choices) {
            const delta = choice?.delta as Record<string, unknown> | undefined;
            if (!delta || typeof delta !== 'object') continue;
            const at = choice.index ?? 0;
            // `content` first and by name: a load by a variable name on every chunk cost more than the rest.
            const content = (delta as { content?: unknown }).content;
            if (typeof content === 'string') {
              // Choice 0's keys are the field names: no string built per chunk in the common case.
              const out = pass(at === 0 ? 'content' : `${at}:content`, content);
              if (out !== content) {
                delta.content = out;
                changed = true;
              }
            }
            if (delta.refusal !== undefined || delta.reasoning_content !== undefined || delta.reasoning !== undefined) {
              for (const field of OTHER_TEXT) {
                const piece = delta[field];
                if (typeof piece !== 'string') continue;
                const out = pass(at === 0 ? field : `${at}:${field}`, piece);
                if (out !== piece) {
                  delta[field] = out;
                  changed = true;
                }
              }
            }
            const calls = delta.tool_calls;
            if (Array.isArray(calls)) {
              for (const call of calls as { index?: number; function?: { arguments?: unknown } }[]) {
                const args = call?.function?.arguments;
                if (typeof args !== 'string') continue;
                const out = pass(`${at}:t${call.index ?? 0}`, args);
                if (out !== args) {
                  call.function!.arguments = out;
                  changed = true;
                }
              }
            }
            if (!choice.finish_reason || carry.size === 0) continue;
            // The choice is over: what was held back was not a key after all, and goes out with its end.
            for (const field of DELTA_TEXT) {
              const held = take(at === 0 ? field : `${at}:${field}`);
              if (held === undefined) continue;
              delta[field] = `${typeof delta[field] === 'string' ? delta[field] : ''}${held}`;
              changed = true;
            }
            for (const key of [...carry.keys()]) {
              if (!key.startsWith(`${at}:t`)) continue;
              const held = take(key)!;
              const list = (Array.isArray(delta.tool_calls) ? delta.tool_calls : (delta.tool_calls = [])) as unknown[];
              list.push({ index: Number(key.slice(`${at}:t`.length)), function: { arguments: held } });
              changed = true;
            }
          }
          return changed;
        },
      };
    },
  };
}
