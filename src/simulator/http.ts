import type { IncomingMessage, ServerResponse } from 'node:http';
import { errorBody } from './responses.js';

/** Far above any chat request a test sends; only guards the simulator against runaway bodies. */
export const MAX_BODY_BYTES = 4 * 1024 * 1024;

export class BodyTooLargeError extends Error {}

/** The request body as text; rejects with BodyTooLargeError past MAX_BODY_BYTES. */
export function readBody(req: IncomingMessage): Promise<string> {
  return new Promise((resolve, reject) => {
    const parts: Buffer[] = [];
    let size = 0;
    req.on('data', (part: Buffer) => {
      size += part.length;
      if (size > MAX_BODY_BYTES) {
        req.removeAllListeners('data');
        req.resume();
        reject(new BodyTooLargeError());
        return;
      }
      parts.push(part);
    });
    req.on('end', () => resolve(parts.length === 1 ? parts[0]!.toString('utf8') : Buffer.concat(parts).toString('utf8')));
    req.on('error', reject);
  });
}

export function sendJson(res: ServerResponse, status: number, body: string, headers?: Record<string, string>): void {
  if (res.headersSent || res.destroyed) return;
  res.writeHead(status, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(body), ...headers });
  res.end(body);
}

export function sendError(
  res: ServerResponse,
  status: number,
  message?: string,
  param: string | null = null,
  headers?: Record<string, string>,
  code?: string,
): void {
  sendJson(res, status, errorBody(status, message, param, code), headers);
}

/** Parses JSON, or returns undefined: a bad body is the client's error, never an exception here. */
export function tryParseJson(text: string): { value: unknown } | undefined {
  try {
    return { value: JSON.parse(text) };
  } catch {
    return undefined;
  }
}
