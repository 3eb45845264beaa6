import { Router as ExpressRouter } from 'express';
import type { RenderedMetrics } from '../../telemetry/exposition.js';
import { methodNotAllowed, READ_METHODS } from '../methods.js';

/** Anything that renders the exposition for a scrape: `instrument()`'s result, or a wrapped registry. */
export interface MetricsSource {
  scrape(accept?: string): Promise<RenderedMetrics>;
}

export function metricsRoutes(source: MetricsSource): ExpressRouter {
  const r = ExpressRouter();
  r.get('/metrics', async (req, res) => {
    // Prometheus asks for OpenMetrics (exemplars) in Accept; curl and browsers get the text format.
    const { contentType, body } = await source.scrape(req.headers.accept);
    res.setHeader('content-type', contentType);
    res.send(body);
  });
  r.all('/metrics', methodNotAllowed(READ_METHODS));
  return r;
}
