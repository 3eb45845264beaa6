import { jsonAnswer } from './json-answer.js';

/*
 * What an answer says, decided the same way for the chat and the Responses API: a tool call when tools
 * are offered (the deterministic trigger below), else text cut by `stop` and by the token limit.
 */

const isObject = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);

export interface ToolCallPlan {
  readonly name: string;
  /** JSON arguments that follow the tool's parameter schema. */
  readonly arguments: string;
}

/** The function tools offered, as name and parameter schema, from the chat (`function: {...}`) or Responses shape. */
function functionTools(tools: unknown): { name: string; parameters: unknown }[] {
  if (!Array.isArray(tools)) return [];
  const out: { name: string; parameters: unknown }[] = [];
  for (const t of tools) {
    if (!isObject(t) || t.type !== 'function') continue;
    const fn = isObject(t.function) ? t.function : t;
    if (typeof fn.name === 'string') out.push({ name: fn.name, parameters: fn.parameters });
  }
  return out;
}

/**
 * The trigger: a request that offers function tools gets a call to one of them, unless `tool_choice` is
 * `none` or the conversation's last turn is already a tool's result (then the model answers in text). The
 * tool is the one `tool_choice` names, else the first. So a tool loop (`runTools`) always ends after one
 * round, and a test can predict every step.
 */
export function plannedToolCall(tools: unknown, toolChoice: unknown, lastTurnIsToolResult: boolean, text: string): ToolCallPlan | undefined {
  if (toolChoice === 'none' || lastTurnIsToolResult) return undefined;
  const offered = functionTools(tools);
  if (offered.length === 0) return undefined;
  let wanted: string | undefined;
  if (isObject(toolChoice)) {
    const fn = isObject(toolChoice.function) ? toolChoice.function : toolChoice;
    if (typeof fn.name === 'string') wanted = fn.name;
  }
  const tool = offered.find((t) => t.name === wanted) ?? offered[0]!;
  return { name: tool.name, arguments: jsonAnswer(text, tool.parameters) };
}

export type TextFinish = 'stop' | 'length';

/** Roughly four characters a token: close enough for usage numbers and token metrics. */
export const CHARS_PER_TOKEN = 4;

/**
 * `text` as a model would end it: at the first stop sequence (not included; finish `stop`), or after
 * `maxTokens` tokens (finish `length`, the answer truncated).
 */
export function limitText(text: string, stop: unknown, maxTokens: unknown): { text: string; finish: TextFinish } {
  let out = text;
  const stops = typeof stop === 'string' ? [stop] : Array.isArray(stop) ? stop.filter((s): s is string => typeof s === 'string' && s !== '') : [];
  let at = -1;
  for (const s of stops) {
    const i = out.indexOf(s);
    if (i !== -1 && (at === -1 || i < at)) at = i;
  }
  if (at !== -1) out = out.slice(0, at);
  if (typeof maxTokens === 'number' && maxTokens > 0 && out.length > maxTokens * CHARS_PER_TOKEN) {
    return { text: out.slice(0, maxTokens * CHARS_PER_TOKEN), finish: 'length' };
  }
  return { text: out, finish: 'stop' };
}

export function estimateTokens(text: string): number {
  return Math.max(1, Math.ceil(text.length / CHARS_PER_TOKEN));
}
