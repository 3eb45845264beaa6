import type { IncomingMessage, ServerResponse } from 'node:http';
import { DEFAULT_CHUNKS } from './chat.js';
import type { SimulatorCore } from './core.js';
import { sendJson } from './http.js';
import { admitNative, sse, type Dialect } from './native-turn.js';
import { answerContent, makeAnswer, splitInto, type Answer, type ChatRequest } from './responses.js';
import { cutAfter, firstTokenDelay, wait, type Turn } from './turn.js';

/*
 * Gemini's generateContent API as the simulator speaks it: POST /v1beta/models/{model}:generateContent and
 * :streamGenerateContent?alt=sse, `x-goog-api-key`, google.rpc error bodies (429 RESOURCE_EXHAUSTED with a
 * QuotaFailure: per minute with a RetryInfo, or per day when the fault's message says "per day").
 */

const isObject = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);

const STATUS_NAMES: Record<number, string> = {
  400: 'INVALID_ARGUMENT',
  401: 'UNAUTHENTICATED',
  403: 'PERMISSION_DENIED',
  404: 'NOT_FOUND',
  429: 'RESOURCE_EXHAUSTED',
  500: 'INTERNAL',
  503: 'UNAVAILABLE',
  504: 'DEADLINE_EXCEEDED',
};

const FIELDS = new Set(['contents', 'systemInstruction', 'generationConfig', 'tools', 'toolConfig', 'safetySettings', 'cachedContent']);
const CONFIG_FIELDS = new Set(['maxOutputTokens', 'temperature', 'topP', 'topK', 'stopSequences', 'candidateCount', 'seed', 'presencePenalty', 'frequencyPenalty', 'responseMimeType', 'responseSchema', 'responseJsonSchema']);

/** The path's model and method, or undefined for a path that is not the API's. */
export function geminiRoute(path: string): { model: string; stream: boolean } | undefined {
  const m = /^\/v1beta\/models\/([^/:]+):(generateContent|streamGenerateContent)$/.exec(path);
  return m ? { model: decodeURIComponent(m[1]!), stream: m[2] === 'streamGenerateContent' } : undefined;
}

const partsText = (parts: unknown): string => (Array.isArray(parts) ? parts.map((p) => (isObject(p) && typeof p.text === 'string' ? p.text : '')).join('') : '');

function read(body: unknown, path: string): ChatRequest | { invalid: string } {
  const route = geminiRoute(path.split('?')[0]!)!;
  if (!isObject(body)) return { invalid: 'Invalid JSON payload received.' };
  for (const k of Object.keys(body)) if (!FIELDS.has(k)) return { invalid: `Invalid JSON payload received. Unknown name "${k}": Cannot find field.` };
  const config = isObject(body.generationConfig) ? body.generationConfig : {};
  for (const k of Object.keys(config)) if (!CONFIG_FIELDS.has(k)) return { invalid: `Invalid JSON payload received. Unknown name "${k}" at 'generation_config': Cannot find field.` };
  if (!Array.isArray(body.contents) || body.contents.length === 0) return { invalid: '* GenerateContentRequest.contents: contents is not specified' };
  const messages: ChatRequest['messages'] = [];
  for (const c of body.contents as unknown[]) {
    if (!isObject(c) || (c.role !== 'user' && c.role !== 'model')) return { invalid: 'Please use a valid role: user, model.' };
    const parts = Array.isArray(c.parts) ? (c.parts as unknown[]) : [];
    const response = parts.find((p) => isObject(p) && isObject(p.functionResponse));
    messages.push(response ? { role: 'tool', content: JSON.stringify((response as Record<string, unknown>).functionResponse) } : { role: c.role === 'model' ? 'assistant' : 'user', content: partsText(parts) });
  }
  const declarations = Array.isArray(body.tools) ? (body.tools as unknown[]).flatMap((t) => (isObject(t) && Array.isArray(t.functionDeclarations) ? (t.functionDeclarations as unknown[]) : [])) : [];
  const fcc = isObject(body.toolConfig) && isObject(body.toolConfig.functionCallingConfig) ? body.toolConfig.functionCallingConfig : {};
  const allowed = Array.isArray(fcc.allowedFunctionNames) ? fcc.allowedFunctionNames[0] : undefined;
  const json = config.responseMimeType === 'application/json';
  return {
    model: route.model,
    messages,
    stream: route.stream,
    n: typeof config.candidateCount === 'number' ? config.candidateCount : null,
    max_tokens: typeof config.maxOutputTokens === 'number' ? config.maxOutputTokens : null,
    stop: Array.isArray(config.stopSequences) ? (config.stopSequences as string[]) : null,
    response_format: json ? (config.responseSchema ? { type: 'json_schema', json_schema: { schema: config.responseSchema } } : { type: 'json_object' }) : null,
    tools: declarations.map((d) => (isObject(d) ? { type: 'function', function: { name: d.name, parameters: d.parameters } } : d)),
    tool_choice: fcc.mode === 'NONE' ? 'none' : typeof allowed === 'string' ? { type: 'function', function: { name: allowed } } : undefined,
  };
}

export const geminiDialect: Dialect = {
  keyHeader: 'x-goog-api-key',
  error(status, message) {
    const name = STATUS_NAMES[status] ?? (status >= 500 ? 'INTERNAL' : 'FAILED_PRECONDITION');
    const daily = /per day/i.test(message ?? '');
    const details =
      status === 429
        ? [
            { '@type': 'type.googleapis.com/google.rpc.QuotaFailure', violations: [{ quotaMetric: 'generativelanguage.googleapis.com/generate_content_requests', quotaId: daily ? 'GenerateRequestsPerDayPerProjectPerModel' : 'GenerateRequestsPerMinutePerProjectPerModel' }] },
            ...(daily ? [] : [{ '@type': 'type.googleapis.com/google.rpc.RetryInfo', retryDelay: '7s' }]),
          ]
        : status === 401
          ? [{ '@type': 'type.googleapis.com/google.rpc.ErrorInfo', reason: 'API_KEY_INVALID', domain: 'googleapis.com' }]
          : undefined;
    // Gemini answers a bad key with 400 INVALID_ARGUMENT naming API_KEY_INVALID, not a 401.
    const code = status === 401 ? 400 : status;
    return { body: JSON.stringify({ error: { code, message: message ?? `simulated ${status} error`, status: status === 401 ? 'INVALID_ARGUMENT' : name, ...(details ? { details } : {}) } }), status: code };
  },
  read,
};

const finishOf = (a: Answer, i: number) => (a.choices[i]!.finish === 'length' ? 'MAX_TOKENS' : 'STOP');
const usage = (a: Answer) => ({ promptTokenCount: a.promptTokens, candidatesTokenCount: a.completionTokens, totalTokenCount: a.promptTokens + a.completionTokens });
const parts = (a: Answer, i: number) => {
  const c = a.choices[i]!;
  return c.toolCall ? [{ functionCall: { name: c.toolCall.name, args: JSON.parse(c.toolCall.arguments) as unknown } }] : [{ text: c.content }];
};

function answerBody(a: Answer): unknown {
  return {
    candidates: a.choices.map((_, i) => ({ content: { role: 'model', parts: parts(a, i) }, finishReason: finishOf(a, i), index: i })),
    usageMetadata: usage(a),
    modelVersion: a.model,
    responseId: a.id,
  };
}

/** POST /v1beta/models/{model}:generateContent | :streamGenerateContent?alt=sse. */
export async function handleGemini(core: SimulatorCore, req: IncomingMessage, res: ServerResponse, path: string): Promise<void> {
  const route = geminiRoute(path)!;
  if (route.stream && !/[?&]alt=sse(&|$)/.test(req.url ?? '')) {
    // Without alt=sse the real API streams a JSON array; the simulator speaks only the SSE form.
    return sendJson(res, 400, geminiDialect.error(400, 'the simulator streams only with ?alt=sse').body);
  }
  const turn = await admitNative(core, req, res, geminiDialect, path);
  if (!turn) return;
  const { fault, body } = turn;
  const content = fault?.kind === 'empty' ? '' : answerContent(body, core.name, turn.spec.content, fault?.kind === 'not_json');
  const answer = makeAnswer(core.nextId(), Math.floor(core.now() / 1000), body, content);
  if (route.stream) return stream(turn, answer);
  if (!(await wait(turn, firstTokenDelay(turn)))) return;
  const text = JSON.stringify(answerBody(answer));
  if (fault?.kind === 'malformed') return sendJson(res, 200, text.slice(0, Math.floor(text.length / 2)));
  if (fault?.kind === 'cut') {
    res.writeHead(200, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(text) });
    return cutAfter(res, text.slice(0, Math.floor(text.length / 2)));
  }
  sendJson(res, 200, text);
}

async function stream(turn: Turn<ChatRequest>, a: Answer): Promise<void> {
  const { res, fault, spec } = turn;
  res.writeHead(200, { 'content-type': 'text/event-stream', 'cache-control': 'no-cache' });
  if (fault?.kind === 'malformed') return void res.end('data: {"candidates":[{"content":{"parts":[{"te\n\n');
  const n = spec.chunks ?? DEFAULT_CHUNKS;
  // Each choice's text in pieces (a tool call comes whole, in the first event).
  const pieces = a.choices.map((c) => (c.toolCall ? [''] : c.content === '' ? [] : splitInto(c.content, n)));
  const steps = Math.max(0, ...pieces.map((p) => p.length));
  const cutAt = fault?.kind === 'cut' ? fault.afterChunks ?? 1 : Infinity;
  const errorAt = fault?.kind === 'error_event' ? fault.afterChunks ?? 0 : Infinity;
  let pending = '';
  for (let i = 0; i < steps; i++) {
    if (i === cutAt) return cutAfter(res, pending);
    if (i === errorAt) break;
    const delay = i === 0 ? firstTokenDelay(turn) : spec.chunkDelayMs ?? 0;
    if (delay > 0 || spec.jitterMs) {
      if (pending !== '') res.write(pending);
      pending = '';
      if (!(await wait(turn, delay))) return;
    }
    const last = i === steps - 1 && cutAt === Infinity && errorAt === Infinity;
    const candidates = a.choices.flatMap((c, index) => {
      const piece = pieces[index]![i];
      if (piece === undefined) return [];
      const p = c.toolCall ? parts(a, index) : [{ text: piece }];
      return [{ content: { role: 'model', parts: p }, index, ...(last ? { finishReason: finishOf(a, index) } : {}) }];
    });
    pending += sse({ candidates, modelVersion: a.model, responseId: a.id, ...(last ? { usageMetadata: usage(a) } : {}) });
  }
  if (errorAt !== Infinity) return void res.end(pending + sse({ error: { code: 503, message: 'The model is overloaded. Please try again later.', status: 'UNAVAILABLE' } }));
  if (cutAt !== Infinity) return cutAfter(res, pending);
  if (steps === 0) pending += sse({ candidates: [{ content: { role: 'model', parts: [] }, finishReason: 'STOP', index: 0 }], usageMetadata: usage(a), modelVersion: a.model, responseId: a.id });
  res.end(pending);
}
