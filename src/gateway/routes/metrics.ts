import { Router as ExpressRouter } from 'express';
import type { Registry } from 'prom-client';

/**
 * Serves the registry the telemetry layer fills. A registry renders in one format only (prom-client
 * strips `_total` for good once a counter is rendered as OpenMetrics), so the format is the registry's.
 */
export function metricsRoutes(registry: Registry): ExpressRouter {
  const r = ExpressRouter();
  r.get('/metrics', async (_req, res) => {
    const text = await registry.metrics();
    res.setHeader('content-type', registry.contentType);
    res.send(text);
  });
  return r;
}
