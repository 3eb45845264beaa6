import type { Metric, MetricObjectWithValues, MetricValue, MetricValueWithName, Registry, OpenMetricsContentType } from 'prom-client';

/*
 * The OpenMetrics face of a text-format metric. Serving both formats used to mean two prom-client registries
 * recording every event twice (a prom-client metric object renders in one format only: OpenMetrics rendering
 * renames counters in place). A view records nothing: at scrape time it reads its text metric's values and
 * adds the latest exemplar of each series (counters) or bucket (histograms), which only it keeps.
 */

type Labels = Partial<Record<string, string | number>>;

interface StoredExemplar {
  labelSet: Record<string, string>;
  value: number;
  /** Seconds, as prom-client stamps its own exemplars. */
  timestamp: number;
}

/** What a view reads: a prom-client metric of the text registry (these fields are public in prom-client). */
interface Source {
  readonly name: string;
  readonly help: string;
  readonly type: string;
  readonly aggregator: string;
  get(): Promise<MetricObjectWithValues<MetricValue<string>>>;
}

/** The bucket a histogram value falls in, as its `le` label renders. */
function bucketOf(bounds: readonly number[], value: number): string {
  for (const b of bounds) if (value <= b) return String(b);
  return '+Inf';
}

export class OpenMetricsView {
  private readonly exemplars = new Map<string, StoredExemplar>();

  /** `bounds`: a histogram's bucket upper bounds; undefined for counters and gauges. */
  constructor(
    private readonly source: Source,
    private readonly labelNames: readonly string[],
    private readonly bounds?: readonly number[],
  ) {}

  get name(): string {
    return this.source.name;
  }

  /** The OpenMetrics registry strips `_total` from a counter's name in place: `get()` does it instead. */
  set name(_ignored: string) {}

  get help(): string {
    return this.source.help;
  }

  get type(): string {
    return this.source.type;
  }

  get aggregator(): string {
    return this.source.aggregator;
  }

  private key(labels: Labels | undefined): string {
    let k = '';
    for (const n of this.labelNames) k += `${labels?.[n] ?? ''}\u0000`;
    return k;
  }

  /** Keeps `exemplarLabels` as the latest exemplar of the series (and bucket) `labels` and `value` fall in. */
  exemplar(labels: Labels, value: number, exemplarLabels: Record<string, string>): void {
    const key = this.bounds ? this.key(labels) + bucketOf(this.bounds, value) : this.key(labels);
    this.exemplars.set(key, { labelSet: exemplarLabels, value: this.bounds ? value : value || 1, timestamp: Date.now() / 1000 });
  }

  async get(): Promise<MetricObjectWithValues<MetricValue<string>>> {
    const m = (await this.source.get()) as MetricObjectWithValues<MetricValueWithName<string>>;
    const values = m.values.map((v) => {
      let key: string;
      if (!this.bounds) key = this.key(v.labels);
      else if (v.metricName?.endsWith('_bucket')) key = this.key(v.labels) + String(v.labels.le);
      else return v;
      const exemplar = this.exemplars.get(key);
      return exemplar ? { ...v, exemplar } : v;
    });
    return { ...m, name: this.type === 'counter' ? m.name.replace(/_total$/, '') : m.name, values };
  }
}

/** Registers a view of `source` in an OpenMetrics registry. */
export function registerView(
  registry: Registry<OpenMetricsContentType>,
  source: Metric<string>,
  labelNames: readonly string[],
  bounds?: readonly number[],
): OpenMetricsView {
  const view = new OpenMetricsView(source as unknown as Source, labelNames, bounds);
  registry.registerMetric(view as unknown as Metric<string>);
  return view;
}
