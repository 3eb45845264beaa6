import type { IncomingMessage, ServerResponse } from 'node:http';
import type { SimulatorCore } from './core.js';
import { sendJson } from './http.js';
import type { ChatRequest } from './responses.js';
import { admitThrough, type Door } from './turn.js';

/**
 * What a provider wire format other than OpenAI's (Anthropic Messages, Gemini) needs of the shared
 * admission: its key header, its error body, and its request read as the chat request answers are made from.
 */
export interface Dialect {
  /** The header carrying the key (`x-api-key`, `x-goog-api-key`). */
  readonly keyHeader: string;
  /** The provider's error answer for `status`. */
  error(status: number, message: string | undefined): { body: string; headers?: Record<string, string>; /** The status really sent, when the provider sends another. */ status?: number };
  /** Why the request's headers are refused with a 400 (a required version header missing), if they are. */
  headers?(req: IncomingMessage): string | undefined;
  /** The native body as a ChatRequest, or why it is refused with a 400. */
  read(body: unknown, path: string): ChatRequest | { invalid: string };
}

/** A native wire format's door (turn.ts): its key header, its error bodies, its request read as a chat request. */
function dialectDoor(dialect: Dialect, path: string): Door<ChatRequest> {
  return {
    hasKey: (req, key) => req.headers[dialect.keyHeader] === key,
    keyMessage: `missing or wrong ${dialect.keyHeader}`,
    fail(res, status, message, extra) {
      const e = dialect.error(status, message);
      sendJson(res, e.status ?? status, e.body, { ...e.headers, ...extra?.headers });
    },
    read(req, parsed) {
      const wrongHeaders = dialect.headers?.(req);
      if (wrongHeaders !== undefined) return { invalid: wrongHeaders };
      if (!parsed) return { invalid: 'the body is not valid JSON' };
      const read = dialect.read(parsed.value, path);
      return 'invalid' in read ? read : { body: read };
    },
    retryAfter: [429, 503, 529],
  };
}

/** `admitThrough` (turn.ts) a native wire format's door, answering errors in the dialect's shape. */
export const admitNative = (core: SimulatorCore, req: IncomingMessage, res: ServerResponse, dialect: Dialect, path: string) =>
  admitThrough(core, req, res, dialectDoor(dialect, path));

/** An SSE event with an `event:` name (Anthropic) or none (Gemini). */
export const sse = (data: unknown, event?: string) => `${event ? `event: ${event}\n` : ''}data: ${JSON.stringify(data)}\n\n`;
