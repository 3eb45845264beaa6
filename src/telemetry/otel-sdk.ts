import { context, propagation, trace } from '@opentelemetry/api';
import { PACKAGE_VERSION } from './version.js';

export interface TracingSdkOptions {
  /** `service.name` unless `OTEL_SERVICE_NAME` says otherwise. Default `switchyard`. */
  serviceName?: string;
  /** Default `process.env`. */
  env?: NodeJS.ProcessEnv;
}

export interface TracingSdk {
  /** Flushes pending spans and unregisters the global tracer provider, context manager and propagator. */
  shutdown(): Promise<void>;
}

/** Where spans go: the traces endpoint as is, or the base endpoint plus `/v1/traces` (OTLP/HTTP rules). */
export function otlpTracesUrl(env: NodeJS.ProcessEnv): string | undefined {
  const traces = env.OTEL_EXPORTER_OTLP_TRACES_ENDPOINT?.trim();
  if (traces) return traces;
  const base = env.OTEL_EXPORTER_OTLP_ENDPOINT?.trim();
  return base ? `${base.replace(/\/+$/, '')}/v1/traces` : undefined;
}

/** `k1=v1,k2=v2` with percent-encoded values, as the OTLP header and resource-attribute variables are. */
function parseKeyValues(value: string | undefined): Record<string, string> {
  const out: Record<string, string> = {};
  for (const pair of (value ?? '').split(',')) {
    const i = pair.indexOf('=');
    if (i <= 0) continue;
    try {
      out[decodeURIComponent(pair.slice(0, i).trim())] = decodeURIComponent(pair.slice(i + 1).trim());
    } catch {
      // A malformed pair is dropped, as the SDK's own env parsing does.
    }
  }
  return out;
}

/**
 * Wires the OpenTelemetry SDK for the gateway when an OTLP endpoint is configured: a NodeTracerProvider
 * with a batching OTLP/HTTP exporter, the AsyncLocalStorage context manager and the W3C trace-context and
 * baggage propagators (so incoming `traceparent` is honoured). With no endpoint (or `OTEL_SDK_DISABLED=true`)
 * it registers nothing and returns undefined: the SDK packages are not even loaded, and the library's
 * `@opentelemetry/api` calls stay no-ops.
 */
export async function startTracingSdk(opts: TracingSdkOptions = {}): Promise<TracingSdk | undefined> {
  const env = opts.env ?? process.env;
  const url = otlpTracesUrl(env);
  if (!url || env.OTEL_SDK_DISABLED?.trim().toLowerCase() === 'true') return undefined;

  const [{ NodeTracerProvider, BatchSpanProcessor }, { OTLPTraceExporter }, { defaultResource, resourceFromAttributes }] =
    await Promise.all([
      import('@opentelemetry/sdk-trace-node'),
      import('@opentelemetry/exporter-trace-otlp-http'),
      import('@opentelemetry/resources'),
    ]);

  const headers = parseKeyValues(env.OTEL_EXPORTER_OTLP_TRACES_HEADERS ?? env.OTEL_EXPORTER_OTLP_HEADERS);
  const resource = defaultResource().merge(
    resourceFromAttributes({
      ...parseKeyValues(env.OTEL_RESOURCE_ATTRIBUTES),
      'service.name': env.OTEL_SERVICE_NAME?.trim() || opts.serviceName || 'switchyard',
      ...(PACKAGE_VERSION && { 'service.version': PACKAGE_VERSION }),
    }),
  );
  const provider = new NodeTracerProvider({
    resource,
    spanProcessors: [new BatchSpanProcessor(new OTLPTraceExporter({ url, headers }))],
  });
  provider.register();

  let stopped: Promise<void> | undefined;
  return {
    shutdown() {
      stopped ??= provider.shutdown().finally(() => {
        trace.disable();
        context.disable();
        propagation.disable();
      });
      return stopped;
    },
  };
}
