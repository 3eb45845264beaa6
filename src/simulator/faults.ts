import { z } from 'zod';

/** One fault, applied to a whole request. */
export type Fault =
  /** Answer with this HTTP status and an OpenAI-shaped error body. */
  | { kind: 'status'; status: number; /** Overrides FaultSpec.retryAfterSeconds for this fault. */ retryAfterSeconds?: number; message?: string }
  /** Accept the request and never answer; ends when the client disconnects or the simulator closes. */
  | { kind: 'hang' }
  /** Destroy the socket without writing a response (the client sees a connection reset). */
  | { kind: 'reset' }
  /** 200 with a body that is not JSON; for a stream, an SSE `data:` line that is not JSON. */
  | { kind: 'malformed' }
  /** 200 with `content: ""`; for a stream, no content chunk at all. */
  | { kind: 'empty' }
  /** Wait `delayMs` before the first content (streams still get their headers and role chunk at once). */
  | { kind: 'slow_first_token'; delayMs: number }
  /** Send `afterChunks` content chunks (default 1), then destroy the socket; a JSON body is cut halfway. */
  | { kind: 'cut'; afterChunks?: number }
  /** Content that is plain prose even when `response_format` asked for JSON. */
  | { kind: 'not_json' }
  /**
   * Anthropic Messages and Gemini streams (wire formats with an in-band error): a 200 stream that sends
   * `afterChunks` content chunks (default 0), then an error event (Anthropic `overloaded_error`, Gemini a
   * 503 UNAVAILABLE object) and ends. The OpenAI paths and plain answers ignore it.
   */
  | { kind: 'error_event'; afterChunks?: number };

export type FaultKind = Fault['kind'];

/** A window during which `fault` applies to every request. */
export interface Outage {
  /** Start of the window, in ms after the spec was installed (simulator start or setFaults). */
  afterMs: number;
  /** Length of the window in ms. */
  durationMs: number;
  /** Repeat the window every `everyMs` (measured start to start); must exceed durationMs. */
  everyMs?: number;
  fault: Fault;
}

/**
 * What the simulator injects. Every field is optional; `{}` is a healthy provider. Precedence per request:
 * an active outage, then `always`, then one draw over the probabilities (statusRates and the per-kind
 * rates, which must add up to at most 1).
 */
export interface FaultSpec {
  /** HTTP status (400-599, as a string key) -> probability, e.g. `{ "500": 0.5, "429": 0.1 }`. */
  statusRates?: Record<string, number>;
  /** `Retry-After` header value sent with every 429 and 503; none when unset. */
  retryAfterSeconds?: number;
  /** A fault applied to every request (outside outages). */
  always?: Fault;
  /** Probability that a request hangs. */
  hang?: number;
  /** Probability that the socket is destroyed without a response. */
  reset?: number;
  /** Probability of a body (or SSE data) that is not JSON. */
  malformed?: number;
  /** Probability of empty content. */
  empty?: number;
  /** Probability that the response is cut (after `cutAfterChunks` content chunks for a stream). */
  cut?: number;
  /** Chunks sent before a probabilistic cut; default 1. */
  cutAfterChunks?: number;
  /** Probability of non-JSON content when JSON was asked for. */
  notJson?: number;
  /** Delay before answering (before the status line), in ms. */
  latencyMs?: number;
  /** Uniform random extra, 0..jitterMs, added to every delay (latency, first token, between chunks). */
  jitterMs?: number;
  /** Content chunks per streamed answer; default 3. */
  chunks?: number;
  /** Delay between two content chunks, in ms; a non-streamed answer waits the same total. */
  chunkDelayMs?: number;
  /** Delay from the role chunk to the first content chunk, in ms. */
  firstTokenDelayMs?: number;
  /** Scheduled windows, measured with the simulator's clock from when this spec was installed. */
  outages?: Outage[];
  /** When set, requests to /v1/* need `Authorization: Bearer <requireApiKey>`, else 401. */
  requireApiKey?: string;
  /** Fixed answer text; the default echoes the last user message. */
  content?: string;
}

/** The per-kind probability fields of FaultSpec, in the order they are drawn (after statusRates). */
export const RATE_KINDS = [
  ['hang', 'hang'],
  ['reset', 'reset'],
  ['malformed', 'malformed'],
  ['empty', 'empty'],
  ['cut', 'cut'],
  ['notJson', 'not_json'],
] as const;

const probability = z.number({ error: 'expected a probability from 0 to 1' }).min(0).max(1);
// setTimeout holds at most ~24.8 days; no simulated delay needs more than ten minutes.
const delay = z.number({ error: 'expected milliseconds' }).int().min(0).max(600_000);
const instant = z.number({ error: 'expected milliseconds' }).int().min(0).max(Number.MAX_SAFE_INTEGER);
const errorStatus = z.int({ error: 'expected an HTTP status' }).min(400).max(599);
const count = z.int({ error: 'expected an integer' }).min(0).max(10_000);

const faultSchema = z.discriminatedUnion('kind', [
  z.strictObject({
    kind: z.literal('status'),
    status: errorStatus,
    retryAfterSeconds: count.optional(),
    message: z.string().max(1000).optional(),
  }),
  z.strictObject({ kind: z.literal('hang') }),
  z.strictObject({ kind: z.literal('reset') }),
  z.strictObject({ kind: z.literal('malformed') }),
  z.strictObject({ kind: z.literal('empty') }),
  z.strictObject({ kind: z.literal('slow_first_token'), delayMs: delay }),
  z.strictObject({ kind: z.literal('cut'), afterChunks: count.optional() }),
  z.strictObject({ kind: z.literal('not_json') }),
  z.strictObject({ kind: z.literal('error_event'), afterChunks: count.optional() }),
]);

const outageSchema = z
  .strictObject({ afterMs: instant, durationMs: instant.min(1), everyMs: instant.min(1).optional(), fault: faultSchema })
  .refine((o) => o.everyMs === undefined || o.everyMs > o.durationMs, {
    error: 'everyMs must be greater than durationMs',
    path: ['everyMs'],
  });

export const faultSpecSchema: z.ZodType<FaultSpec> = z
  .strictObject({
    statusRates: z.record(z.string().regex(/^[45]\d\d$/, { error: 'keys must be HTTP statuses 400-599' }), probability).optional(),
    retryAfterSeconds: count.optional(),
    always: faultSchema.optional(),
    hang: probability.optional(),
    reset: probability.optional(),
    malformed: probability.optional(),
    empty: probability.optional(),
    cut: probability.optional(),
    cutAfterChunks: count.optional(),
    notJson: probability.optional(),
    latencyMs: delay.optional(),
    jitterMs: delay.optional(),
    chunks: z.int({ error: 'expected an integer' }).min(1).max(1000).optional(),
    chunkDelayMs: delay.optional(),
    firstTokenDelayMs: delay.optional(),
    outages: z.array(outageSchema).max(100).optional(),
    requireApiKey: z.string().min(1).optional(),
    content: z.string().max(100_000).optional(),
  })
  .superRefine((spec, ctx) => {
    const total = totalRate(spec);
    if (total > 1 + 1e-9) ctx.addIssue({ code: 'custom', message: `probabilities add up to ${total}, more than 1`, input: spec });
  });

function totalRate(spec: FaultSpec): number {
  let total = 0;
  for (const p of Object.values(spec.statusRates ?? {})) total += p;
  for (const [field] of RATE_KINDS) total += spec[field] ?? 0;
  return total;
}

/** Validates a FaultSpec; throws a RangeError that names each bad field and quotes its value. */
export function parseFaultSpec(input: unknown): FaultSpec {
  const result = faultSpecSchema.safeParse(input);
  if (result.success) return result.data;
  const problems = result.error.issues.map((issue) => {
    const where = ['faults', ...issue.path.map(String)].join('.');
    if (issue.code === 'unrecognized_keys') return `${where}: unknown field ${issue.keys.map((k) => JSON.stringify(k)).join(', ')}`;
    if (issue.code === 'custom') return `${where}: ${issue.message}`;
    if (issue.code === 'invalid_key') return `${where}: ${issue.issues[0]?.message ?? issue.message} (got ${quote(issue.path.at(-1))})`;
    return `${where}: ${issue.message} (got ${quote(valueAt(input, issue.path))})`;
  });
  throw new RangeError(`invalid fault spec: ${problems.join('; ')}`);
}

function valueAt(root: unknown, path: readonly PropertyKey[]): unknown {
  let value = root;
  for (const key of path) value = value !== null && typeof value === 'object' ? (value as Record<PropertyKey, unknown>)[key] : undefined;
  return value;
}

function quote(value: unknown): string {
  const text = value === undefined ? 'nothing' : JSON.stringify(value) ?? String(value);
  return text.length > 80 ? `${text.slice(0, 77)}...` : text;
}
