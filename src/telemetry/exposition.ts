import { Registry, type OpenMetricsContentType, type PrometheusContentType } from 'prom-client';

const OPENMETRICS = 'application/openmetrics-text';

/**
 * True when an `Accept` header prefers OpenMetrics to the Prometheus text format. Prometheus asks for
 * `application/openmetrics-text;version=1.0.0,…;q=0.75,text/plain;version=0.0.4;q=0.5,*\/*;q=0.1`; curl and
 * browsers (`*\/*`, `text/html,…`) get text, which they can read.
 */
export function prefersOpenMetrics(accept: string | undefined): boolean {
  if (!accept) return false;
  let openMetrics = 0;
  let text = 0;
  for (const part of accept.split(',')) {
    const [type = '', ...params] = part.split(';').map((s) => s.trim().toLowerCase());
    const qParam = params.find((p) => p.startsWith('q='));
    const q = qParam === undefined ? 1 : Number(qParam.slice(2));
    if (!Number.isFinite(q)) continue;
    if (type === OPENMETRICS) openMetrics = Math.max(openMetrics, q);
    else if (type === 'text/plain' || type === 'text/*' || type === '*/*') text = Math.max(text, q);
  }
  return openMetrics > 0 && openMetrics >= text;
}

export interface RenderedMetrics {
  /** The `Content-Type` response header to send. */
  readonly contentType: string;
  readonly body: string;
}

/**
 * Renders whichever registry suits the `Accept` header. Each registry keeps one format for its whole life:
 * prom-client renames a counter object when rendering it as OpenMetrics, so one metric object served in
 * both formats would lose `_total` in the text format. When only one registry is at hand it is served as
 * is (Prometheus reads both formats).
 */
export async function renderMetrics(
  accept: string | undefined,
  text: Registry<PrometheusContentType> | undefined,
  openMetrics: Registry<OpenMetricsContentType> | undefined,
): Promise<RenderedMetrics> {
  const registry = (prefersOpenMetrics(accept) ? (openMetrics ?? text) : (text ?? openMetrics)) ?? new Registry();
  return { contentType: registry.contentType, body: await registry.metrics() };
}
