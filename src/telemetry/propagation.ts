import { context, propagation, type Context } from '@opentelemetry/api';

/** Incoming HTTP headers as node (and express) give them. */
export type IncomingHeaders = Readonly<Record<string, string | readonly string[] | undefined>>;

/**
 * The context carried by incoming `traceparent`/`tracestate` (and `baggage`), on top of `base`. It is
 * `base` unchanged when no propagator is registered (no SDK) or the headers carry none.
 */
export function extractContext(headers: IncomingHeaders, base: Context = context.active()): Context {
  return propagation.extract(base, headers);
}

/** True when the headers carry any field the registered propagator reads (none without an SDK). */
function carriesContext(headers: IncomingHeaders): boolean {
  for (const field of propagation.fields()) if (headers[field] !== undefined) return true;
  return false;
}

/**
 * Runs `fn` inside the incoming request's trace context, so the router's request span becomes a child of
 * the caller's span. Everything `fn` awaits stays in that context (with the SDK's AsyncLocalStorage
 * context manager). A request without `traceparent`, `tracestate` or `baggage` (whatever the registered
 * propagator reads; nothing without an SDK) has no context to enter: the active one is already right, so
 * `fn` is a plain call.
 */
export function withIncomingContext<T>(headers: IncomingHeaders, fn: () => T): T {
  return carriesContext(headers) ? context.with(extractContext(headers), fn) : fn();
}

/**
 * The same as an express-style middleware: `app.use(traceContextMiddleware())` before the routes. Typed
 * structurally so the library needs no express types.
 */
export function traceContextMiddleware(): (
  req: { readonly headers: IncomingHeaders },
  res: unknown,
  next: () => void,
) => void {
  return (req, _res, next) => withIncomingContext(req.headers, next);
}
