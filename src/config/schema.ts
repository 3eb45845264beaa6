import { z } from 'zod';
import { OPERATIONS } from '../endpoint/operation.js';
import { ATTEMPT_OUTCOMES, isFailureOutcome } from '../endpoint/outcome.js';
import { crossCheck } from './cross-check.js';
import { DEFAULT_DEADLINE_MS, DEFAULT_TIMEOUT_MS, ID_PATTERN } from './defaults.js';
import { MIN_SECRET_CHARS } from './secrets.js';
import { millis, nonNegativeInt, nonNegativeMillis, positiveInt } from './numbers.js';
import { stateSchema } from './state-schema.js';

export { ID_PATTERN } from './defaults.js';
export { stateSchema } from './state-schema.js';

/*
 * The whole configuration file as one zod schema; every default lives here. Messages never quote the
 * received value, because it may be a key.
 */

const fraction = z
  .number({ error: 'expected a number from 0 to 1' })
  .min(0, { error: 'expected a number from 0 to 1' })
  .max(1, { error: 'expected a number from 0 to 1' });
const secret = z
  .string({ error: 'expected a string' })
  .min(1, { error: 'must not be empty' })
  .refine((s) => s.length === 0 || s.length >= MIN_SECRET_CHARS, {
    error: `a key shorter than ${MIN_SECRET_CHARS} characters cannot be kept out of logs and answers (too short to scrub): use a real key`,
  });


const idKey = z.string().regex(ID_PATTERN, {
  error: 'ids must be 1-64 characters of letters, digits, ".", "_", ":" or "-", starting with a letter or digit',
});

export const breakerSchema = z.strictObject({
  /** Trip when the failure rate in the window is strictly above this percentage. */
  errorThresholdPercentage: z
    .number({ error: 'expected a percentage from 1 to 100' })
    .gt(0, { error: 'expected a percentage from 1 to 100' })
    .max(100, { error: 'expected a percentage from 1 to 100' })
    .default(50),
  /** Minimum attempts counted in the window before the rate can trip the circuit. */
  volumeThreshold: positiveInt().default(5),
  /** Length of the rolling window the failure rate is computed over. */
  rollingWindowMs: millis('a positive integer (milliseconds)').default(10_000),
  /** Buckets the rolling window is split into; rollingWindowMs must divide evenly by it. */
  rollingBuckets: positiveInt().default(10),
  /** Open -> half-open after this long, the first time the circuit trips. */
  resetTimeoutMs: millis('a positive integer (milliseconds)').default(30_000),
  /** Each consecutive re-trip (half-open probe failed) multiplies the open period by this. */
  backoffMultiplier: z.number({ error: 'expected a number >= 1' }).min(1, { error: 'expected a number >= 1' }).default(2),
  /** Upper bound of the open period after backoff. */
  maxResetTimeoutMs: millis('a positive integer (milliseconds)').default(300_000),
  /** Random spread of the open period, as a fraction (0.2 = +/-20%), so replicas do not probe in lockstep. */
  jitter: fraction.default(0.2),
  /** Cap on an upstream's Retry-After, so a hostile header cannot park an endpoint forever. */
  maxRetryAfterMs: millis('a positive integer (milliseconds)').default(300_000),
  /** How long an endpoint whose spend or quota cap was reached (`quota_exhausted`) gets no traffic. */
  quotaCooldownMs: millis('a positive integer (milliseconds)').default(600_000),
});

export const retrySchema = z.strictObject({
  /** Extra attempts on the same endpoint before moving to the next one (0 = straight to the fallback). */
  retries: nonNegativeInt().max(10, { error: 'expected at most 10' }).default(0),
  /** First backoff delay; doubles each retry, with full jitter. */
  baseDelayMs: nonNegativeMillis('a non-negative integer (milliseconds)').default(200),
  /** Upper bound of one backoff delay. */
  maxDelayMs: nonNegativeMillis('a non-negative integer (milliseconds)').default(2_000),
  /** Outcomes worth retrying on the same endpoint. */
  on: z
    .array(z.enum(ATTEMPT_OUTCOMES.filter((o) => isFailureOutcome(o) && o !== 'quota_exhausted') as [string, ...string[]]))
    .default(['server_error', 'timeout', 'connection_error']),
});

/**
 * Per-endpoint overrides: every field optional and, unlike `.partial()`, with no defaults, so a field the
 * endpoint leaves out stays undefined and inherits the top-level value instead of the schema default.
 */
type Overrides<S extends z.core.$ZodShape> = {
  [K in keyof S]: z.ZodOptional<S[K] extends z.ZodDefault<infer Inner> ? Inner : S[K]>;
};
function overrides<S extends z.core.$ZodShape>(schema: z.ZodObject<S>): z.ZodObject<Overrides<S>, z.core.$strict> {
  const shape = Object.fromEntries(
    Object.entries(schema.shape).map(([key, field]) => [key, z.optional(field instanceof z.ZodDefault ? field.unwrap() : field)]),
  );
  return z.strictObject(shape as Overrides<S>);
}

const partialBreaker = overrides(breakerSchema);
const partialRetry = overrides(retrySchema);

/** The wire format a provider speaks (docs/providers.md). */
export const PROVIDER_TYPES = ['openai', 'anthropic', 'gemini', 'azure'] as const;
export type ProviderType = (typeof PROVIDER_TYPES)[number];

/**
 * `baseURL` when the config leaves it out. openai has none (it is any OpenAI-compatible server: a missing
 * baseURL must not send a local model's traffic, and its key, to api.openai.com); azure neither (the
 * resource's host is the user's own).
 */
export const DEFAULT_BASE_URLS: Readonly<Record<ProviderType, string | undefined>> = {
  openai: undefined,
  anthropic: 'https://api.anthropic.com/v1',
  gemini: 'https://generativelanguage.googleapis.com/v1beta',
  azure: undefined,
};

/** `gen_ai.provider.name` per type (OpenTelemetry GenAI conventions), unless the provider sets `name`. */
export const PROVIDER_NAMES: Readonly<Record<ProviderType, string>> = {
  openai: 'openai',
  anthropic: 'anthropic',
  gemini: 'gcp.gemini',
  azure: 'azure.ai.openai',
};

const providerFields = z.strictObject({
  /** The wire format: `openai` (when left out; any OpenAI-compatible server), `anthropic`, `gemini` or `azure`. */
  type: z.enum(PROVIDER_TYPES, { error: "expected 'openai', 'anthropic', 'gemini' or 'azure'" }).optional(),
  // Without the protocol check, `localhost:8000/v1` parses as a URL whose scheme is `localhost:`.
  /** Defaults per type (DEFAULT_BASE_URLS); required for azure (`https://<resource>.openai.azure.com`). */
  baseURL: z.url({ protocol: z.regexes.httpProtocol, error: 'expected an absolute http(s) URL' }).optional(),
  /** Optional: local servers (vLLM, Ollama, llama.cpp) often need none. */
  apiKey: secret.optional(),
  /**
   * Azure only: the classic deployments API version (`/openai/deployments/{model}/chat/completions?api-version=`).
   * Left out, the v1 API (`/openai/v1/chat/completions`) is called.
   */
  apiVersion: z.string({ error: 'expected an API version such as 2024-10-21' }).regex(/^[A-Za-z0-9.-]{1,40}$/, { error: 'expected an API version such as 2024-10-21' }).optional(),
  /** `gen_ai.provider.name` on spans and metrics; default per type (PROVIDER_NAMES). */
  name: z.string().min(1).optional(),
  /** Extra headers sent with every request to this provider. */
  headers: z.record(z.string(), z.string()).optional(),
  /**
   * `native` (a lean keep-alive client over undici's pool) or `sdk` (the openai SDK client). Default: the
   * router's `transport` option, else `native` (`sdk` when the router was given a `fetch`). Types other than
   * openai always use their own codec over undici (`sdk` is refused for them).
   */
  transport: z.enum(['sdk', 'native'], { error: "expected 'sdk' or 'native'" }).optional(),
  /**
   * Connections the native transport keeps open to this provider at most (default 1024); calls beyond them
   * wait for one. The sdk transport uses its fetch's own pool.
   */
  maxConnections: positiveInt().max(65_536, { error: 'expected at most 65536' }).optional(),
});

export const providerSchema = providerFields
  .superRefine((p, ctx) => {
    if (p.type === 'azure' && p.baseURL === undefined) ctx.addIssue({ code: 'custom', path: ['baseURL'], message: 'an azure provider needs its resource URL, e.g. https://my-resource.openai.azure.com' });
    else if (p.baseURL === undefined && DEFAULT_BASE_URLS[providerType(p)] === undefined) ctx.addIssue({ code: 'custom', path: ['baseURL'], message: 'required' });
    // Every call appends its path to the baseURL: a query or fragment in it would swallow that path.
    if (p.baseURL !== undefined && p.type === 'azure' && /[?#]/.test(p.baseURL)) {
      ctx.addIssue({ code: 'custom', path: ['baseURL'], message: 'an azure baseURL takes no query string: set apiVersion instead of ?api-version=' });
    } else if (p.baseURL !== undefined && /[?#]/.test(p.baseURL)) {
      ctx.addIssue({ code: 'custom', path: ['baseURL'], message: 'a baseURL takes no query string or fragment: each call appends its path to it' });
    }
    if (p.apiVersion !== undefined && p.type !== 'azure') ctx.addIssue({ code: 'custom', path: ['apiVersion'], message: 'apiVersion is for type azure only' });
    if (p.transport === 'sdk' && (p.type === 'anthropic' || p.type === 'gemini')) {
      ctx.addIssue({ code: 'custom', path: ['transport'], message: `${p.type === 'anthropic' ? 'an' : 'a'} ${p.type} provider speaks its own API through its codec: transport 'sdk' is for openai and azure` });
    }
  })
  .transform((p) => ({ ...p, baseURL: p.baseURL ?? DEFAULT_BASE_URLS[providerType(p)] ?? '' }));

/** A provider's type; `openai` when the config names none. */
export function providerType(p: { readonly type?: ProviderType | undefined }): ProviderType {
  return p.type ?? 'openai';
}

export const endpointSchema = z.strictObject({
  provider: z.string({ error: 'expected a provider id' }),
  model: z.string({ error: 'expected a model name' }).min(1, { error: 'must not be empty' }),
  /** Whole-attempt timeout for plain requests; for streams, the limit before the first content chunk. */
  timeoutMs: millis('a positive number').default(DEFAULT_TIMEOUT_MS),
  /** Streaming: no first content chunk within this long = `timeout`. Defaults to timeoutMs. */
  firstTokenTimeoutMs: millis('a positive number').optional(),
  /** Streaming: a gap longer than this between chunks after the first ends the stream as `timeout`. */
  streamIdleTimeoutMs: millis('a positive number').default(30_000),
  /** Attempts this endpoint may have in flight at once; beyond it requests skip it. No cap by default. */
  maxConcurrent: positiveInt().optional(),
  breaker: partialBreaker.optional(),
  retry: partialRetry.optional(),
  /**
   * The OpenAI API operations this endpoint serves (chat, embeddings, responses); a request of another kind
   * skips it. Default by the provider's type: all three for `openai` (and `azure`), `[chat]` for the others.
   */
  operations: z
    .array(z.enum(['chat', 'embeddings', 'responses'] satisfies typeof OPERATIONS, { error: "expected 'chat', 'embeddings' or 'responses'" }))
    .min(1, { error: 'an endpoint must serve at least one operation' })
    .refine((ops) => new Set(ops).size === ops.length, { error: 'each operation may be listed once' })
    .optional(),
});

export const routeSchema = z.strictObject({
  endpoints: z.array(z.string()).min(1, { error: 'a route needs at least one endpoint' }),
  /** Overrides request.deadlineMs for this route. */
  deadlineMs: millis('a positive number').optional(),
});

export const requestSchema = z.strictObject({
  /** Cap on a whole request: every attempt, retry, backoff and fallback together. */
  deadlineMs: millis('a positive number').default(DEFAULT_DEADLINE_MS),
});

export const validationSchema = z.strictObject({
  /** A completion with no content, no tool call and no refusal is `invalid_response`. */
  rejectEmpty: z.boolean({ error: 'expected true or false' }).default(true),
  /** When the request asks for JSON (`response_format`), an answer that does not parse is `invalid_response`. */
  requireJsonWhenAsked: z.boolean({ error: 'expected true or false' }).default(true),
});

/** `*`, or an origin as a browser sends it: scheme, host and port only (`https://app.example.com`). */
const origin = z.string({ error: 'expected an origin' }).refine(
  (o) => {
    if (o === '*') return true;
    try {
      const u = new URL(o);
      return (u.protocol === 'http:' || u.protocol === 'https:') && u.origin === o;
    } catch {
      return false;
    }
  },
  { error: 'expected an origin such as https://app.example.com (scheme, host and port only: no path, no trailing slash) or *' },
);

export const corsSchema = z.strictObject({
  /** Origins whose pages may call the gateway (`*`: any). */
  origins: z.array(origin, { error: 'expected a list of origins' }).min(1, { error: 'expected at least one origin' }),
});

export const serverSchema = z.strictObject({
  host: z.string().min(1).default('127.0.0.1'),
  port: nonNegativeInt('a port number from 0 to 65535').max(65535, { error: 'expected a port number from 0 to 65535' }).default(8080),
  /** Clients must send `Authorization: Bearer <one of these>` when any is set. */
  apiKeys: z.array(secret).default([]),
  /** Required by /admin/*; admin writes are refused when unset. */
  adminKey: secret.optional(),
  /**
   * Send `x-should-retry: false` on the 502, 503 and 504 answers the gateway has already retried or failed
   * fast on, so that the openai SDKs (which honour it) do not retry them again and multiply upstream load.
   * Default true (left undefined here so that a server section built in code need not name it).
   */
  shouldRetryHeader: z.boolean({ error: 'expected true or false' }).optional(),
  /** Largest accepted request body. */
  bodyLimitBytes: positiveInt().default(4 * 1024 * 1024),
  /** Cross-origin access for web pages: off (no CORS header at all) unless origins are listed. */
  cors: corsSchema.optional(),
  /** On SIGTERM, how long in-flight requests (streams included) may take to finish. */
  shutdownGraceMs: millis('a positive number').default(15_000),
});

/** What the process holds of providers' streams: per event, and for all streams of the router together. */
export const limitsSchema = z.strictObject({
  /** The longest event of a provider's stream; a longer one cuts the connection (`invalid_response`). */
  maxEventBytes: positiveInt('a positive integer (bytes)').default(4 * 1024 * 1024),
  /**
   * What all streams together may hold (unfinished events, chunks waiting for slow readers); a stream that
   * would pass it fails on this side (`local_error`, counted against no endpoint).
   */
  maxStreamBytes: positiveInt('a positive integer (bytes)').default(32 * 1024 * 1024),
});

const record = <T extends z.ZodType>(value: T) => z.record(idKey, value);

export const configSchema = z
  .strictObject({
    server: serverSchema.optional(),
    providers: record(providerSchema),
    endpoints: record(endpointSchema),
    routes: record(routeSchema).default({}),
    breaker: breakerSchema.default(breakerSchema.parse({})),
    retry: retrySchema.default(retrySchema.parse({})),
    request: requestSchema.default(requestSchema.parse({})),
    validation: validationSchema.default(validationSchema.parse({})),
    limits: limitsSchema.default(limitsSchema.parse({})),
    state: stateSchema.default(stateSchema.parse({})),
  })
  // Cross-references are checked even when other fields failed, so one run reports every problem.
  .superRefine(crossCheck, { when: () => true });

/** The configuration as written (before defaults): what `createRouter` and the YAML file accept. */
export type SwitchyardConfigInput = z.input<typeof configSchema>;
/** The configuration with every default applied. */
export type SwitchyardConfig = z.output<typeof configSchema>;
export type BreakerConfig = z.output<typeof breakerSchema>;
export type RetryConfig = z.output<typeof retrySchema>;
export type ProviderConfig = z.output<typeof providerSchema>;
export type EndpointConfig = z.output<typeof endpointSchema>;
export type RouteConfig = z.output<typeof routeSchema>;
export type ServerConfig = z.output<typeof serverSchema>;
export type LimitsConfig = z.output<typeof limitsSchema>;
export type StateConfig = z.output<typeof stateSchema>;
