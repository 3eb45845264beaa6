import type { Sent } from './client.js';

/** The statuses the gateway may answer a soak request with, other than 200. */
const ALLOWED_ERROR_STATUS = new Set([400, 404, 413, 422, 502, 503, 504]);

function isErrorBody(v: unknown): boolean {
  if (typeof v !== 'object' || v === null) return false;
  const e = (v as { error?: unknown }).error as { message?: unknown; type?: unknown; code?: unknown } | undefined;
  return !!e && typeof e.message === 'string' && typeof e.type === 'string' && (typeof e.code === 'string' || e.code === null);
}

/**
 * What is wrong with a finished request, or undefined. Adds its class to `outcomes`. `endpoints`: those a
 * success may name in x-switchyard-endpoint.
 */
export function check(r: Sent, stream: boolean, jsonMode: boolean, outcomes: Record<string, number>, endpoints: readonly string[]): string | undefined {
  const tag = stream ? 'stream' : 'plain';
  const count = (k: string) => void (outcomes[k] = (outcomes[k] ?? 0) + 1);
  if (r.abandoned) return void count(`${tag} abandoned by its caller`);
  if (r.hung) return `${r.kind}: still open at the caller's hard limit (${Math.round(r.ms)} ms)`;
  if (r.error) return `${r.kind}: ${r.error} after ${Math.round(r.ms)} ms (status ${r.status ?? 'none'})`;
  const status = r.status!;
  const isSse = String(r.headers?.['content-type'] ?? '').startsWith('text/event-stream');
  if (status !== 200 || !isSse) {
    if (status === 200 && stream) return `${r.kind}: 200 without text/event-stream`;
    let parsed: unknown;
    try {
      parsed = JSON.parse(r.body);
    } catch {
      return `${r.kind}: ${status} body is not JSON: ${r.body.slice(0, 120)}`;
    }
    if (status === 200) {
      const c = parsed as { object?: string; choices?: { message?: { content?: unknown } }[] };
      const content = c.choices?.[0]?.message?.content;
      if (c.object !== 'chat.completion' || typeof content !== 'string' || content === '') return `${r.kind}: 200 without a completion: ${r.body.slice(0, 120)}`;
      if (jsonMode) {
        try {
          JSON.parse(content);
        } catch {
          return `${r.kind}: JSON mode answer is not JSON: ${content.slice(0, 80)}`;
        }
      }
      if (!endpoints.includes(String(r.headers?.['x-switchyard-endpoint']))) return `${r.kind}: 200 without x-switchyard-endpoint`;
      return void count(`${tag} 200`);
    }
    if (!ALLOWED_ERROR_STATUS.has(status)) return `${r.kind}: unexpected status ${status}: ${r.body.slice(0, 160)}`;
    if (!isErrorBody(parsed)) return `${r.kind}: ${status} body is not an OpenAI-shaped error: ${r.body.slice(0, 160)}`;
    if (status === 503 && !r.headers?.['retry-after']) return `${r.kind}: 503 without Retry-After`;
    return void count(`${tag} ${status}`);
  }
  // A stream: every event a chunk of one answer, ending with [DONE] or an error event.
  if (!stream) return `${r.kind}: SSE answer to a plain request`;
  if (!r.body.endsWith('\n\n')) return `${r.kind}: stream ended mid-event: ${r.body.slice(-80)}`;
  const events = r.body.split('\n\n').filter((e) => e !== '');
  let id: string | undefined;
  let content = '';
  for (const [i, event] of events.entries()) {
    if (!event.startsWith('data: ')) return `${r.kind}: not a data event: ${event.slice(0, 80)}`;
    const data = event.slice(6);
    const last = i === events.length - 1;
    if (data === '[DONE]') {
      if (!last) return `${r.kind}: events after [DONE]`;
      if (content === '') return `${r.kind}: stream completed with no content`;
      // JSON mode is not checked here: streams are not validated as JSON (README: validators apply to
      // non-streamed answers only).
      return void count('stream 200 [DONE]');
    }
    let v: unknown;
    try {
      v = JSON.parse(data);
    } catch {
      return `${r.kind}: event is not JSON: ${data.slice(0, 80)}`;
    }
    if (isErrorBody(v)) {
      if (!last) return `${r.kind}: events after an error event`;
      return void count('stream 200 then error event');
    }
    const chunk = v as { id?: string; object?: string; choices?: { delta?: { content?: string } }[] };
    if (chunk.object !== 'chat.completion.chunk') return `${r.kind}: not a chunk: ${data.slice(0, 80)}`;
    if (id !== undefined && chunk.id !== id) return `${r.kind}: chunks of two answers glued together (${id}, ${chunk.id})`;
    id = chunk.id;
    content += chunk.choices?.[0]?.delta?.content ?? '';
  }
  return `${r.kind}: stream ended without [DONE] or an error event`;
}
