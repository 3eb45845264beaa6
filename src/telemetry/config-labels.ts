import type { Router } from '../router/types.js';

/*
 * The label values the config allows. The router only emits events for configured routes and endpoints,
 * but a metric series that slipped in from caller input would live until restart and grow without bound, so
 * every label is checked against this set before it is used. Unknown values re-read the router once (cheap:
 * a handful of ids) in case the config was reloaded; the set only ever holds configured ids.
 */
export class ConfigLabels {
  readonly routes = new Map<string, readonly string[]>();
  readonly endpoints = new Set<string>();

  constructor(private readonly router: Pick<Router, 'routes' | 'circuits'>) {
    this.refresh();
  }

  refresh(): void {
    for (const r of this.router.routes()) {
      this.routes.set(r.id, r.endpoints);
      for (const e of r.endpoints) this.endpoints.add(e);
    }
    for (const c of this.router.circuits()) this.endpoints.add(c.endpoint);
  }

  hasRoute(id: string): boolean {
    if (this.routes.has(id)) return true;
    this.refresh();
    return this.routes.has(id);
  }

  hasEndpoint(id: string): boolean {
    if (this.endpoints.has(id)) return true;
    this.refresh();
    return this.endpoints.has(id);
  }
}
