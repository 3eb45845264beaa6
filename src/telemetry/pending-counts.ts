import type { Counter, LabelValues } from 'prom-client';

/*
 * Counter increments summed per series between reads. prom-client's `inc` builds a key string from the
 * label object, validates every label and looks the key up in a dictionary on each call; at a few counters
 * per request that was the larger part of what metrics cost the gateway. Here a series is found through
 * nested Maps keyed on the label values themselves (the router's config ids and outcome names: the same
 * strings every time, whose hashes V8 keeps), and its pending count is a number added to. `flush()` hands
 * the sums to prom-client; the counter's `collect` calls it, so every read (a scrape, `get()`) sees them all.
 * Label values must already be checked against the config: each new combination is a series kept for good.
 */

interface Cell<L extends string> {
  readonly labels: LabelValues<L>;
  pending: number;
}

export class PendingCounts<L extends string> {
  private readonly root = new Map<string, unknown>();
  private readonly cells: Cell<L>[] = [];

  /** `labelNames`: the order in which `add` takes the label values; two or three of them. */
  constructor(
    private readonly counter: Counter<L>,
    private readonly labelNames: readonly L[],
  ) {
    if (labelNames.length !== 2 && labelNames.length !== 3) {
      throw new RangeError(`PendingCounts takes two or three label names, got ${labelNames.length}`);
    }
  }

  /** Adds `n` to the series with these label values, given in `labelNames` order (two or three of them). */
  add(n: number, a: string, b: string, c?: string): void {
    // Checked now, as prom-client's inc would: a bad value (a provider's token count) must fail this event,
    // not the scrape that flushes it.
    if (!Number.isFinite(n) || n < 0) throw new RangeError(`a counter increment must be a finite number >= 0, got ${n}`);
    const given = c === undefined ? 2 : 3;
    if (given !== this.labelNames.length) {
      throw new RangeError(`expected ${this.labelNames.length} label values (${this.labelNames.join(', ')}), got ${given}`);
    }
    let first = this.root.get(a) as Map<string, unknown> | undefined;
    if (!first) this.root.set(a, (first = new Map()));
    let cell: Cell<L> | undefined;
    if (c === undefined) {
      cell = first.get(b) as Cell<L> | undefined;
      if (!cell) first.set(b, (cell = this.cell([a, b])));
    } else {
      let second = first.get(b) as Map<string, unknown> | undefined;
      if (!second) first.set(b, (second = new Map()));
      cell = second.get(c) as Cell<L> | undefined;
      if (!cell) second.set(c, (cell = this.cell([a, b, c])));
    }
    cell.pending += n;
  }

  /** Moves the pending sums into the prom-client counter. */
  flush(): void {
    for (const cell of this.cells) {
      if (cell.pending === 0) continue;
      const n = cell.pending;
      cell.pending = 0;
      this.counter.inc(cell.labels, n);
    }
  }

  private cell(values: readonly string[]): Cell<L> {
    const labels = {} as Record<L, string>;
    this.labelNames.forEach((name, i) => (labels[name] = values[i]!));
    const cell: Cell<L> = { labels: labels as LabelValues<L>, pending: 0 };
    this.cells.push(cell);
    return cell;
  }
}
