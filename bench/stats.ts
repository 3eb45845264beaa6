/** Small statistics and formatting helpers shared by every part of the bench. */

export interface Summary {
  n: number;
  p50: number;
  p90: number;
  p99: number;
  max: number;
  mean: number;
}

export function summarize(values: ArrayLike<number>): Summary {
  if (values.length === 0) return { n: 0, p50: NaN, p90: NaN, p99: NaN, max: NaN, mean: NaN };
  const sorted = Float64Array.from(values).sort();
  const at = (q: number) => sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil(q * sorted.length) - 1))]!;
  let sum = 0;
  for (const v of sorted) sum += v;
  return { n: sorted.length, p50: at(0.5), p90: at(0.9), p99: at(0.99), max: sorted[sorted.length - 1]!, mean: sum / sorted.length };
}

/** Milliseconds with a sensible number of decimals. */
export function ms(v: number | undefined, digits?: number): string {
  if (v === undefined || !Number.isFinite(v)) return 'n/a';
  const d = digits ?? (Math.abs(v) < 1 ? 3 : Math.abs(v) < 10 ? 2 : Math.abs(v) < 100 ? 1 : 0);
  return `${v.toFixed(d)} ms`;
}

export function us(vMs: number | undefined): string {
  if (vMs === undefined || !Number.isFinite(vMs)) return 'n/a';
  return `${(vMs * 1000).toFixed(1)} µs`;
}

export function pct(v: number | undefined, digits = 1): string {
  if (v === undefined || !Number.isFinite(v)) return 'n/a';
  return `${(v * 100).toFixed(digits)} %`;
}

export function mb(bytes: number | undefined): string {
  if (bytes === undefined || !Number.isFinite(bytes)) return 'n/a';
  return `${(bytes / 1024 / 1024).toFixed(1)} MB`;
}

export function int(v: number | undefined): string {
  if (v === undefined || !Number.isFinite(v)) return 'n/a';
  return Math.round(v).toLocaleString('en-US');
}

/** A markdown table. */
export function table(header: string[], rows: (string | number)[][]): string {
  const line = (cells: (string | number)[]) => `| ${cells.map((c) => String(c).replace(/\|/g, '\\|')).join(' | ')} |`;
  return [line(header), `|${header.map(() => '---').join('|')}|`, ...rows.map(line)].join('\n');
}

/** The median of paired comparisons (ratios or differences) and their range. */
export interface PairedRatio {
  median: number;
  min: number;
  max: number;
  /** How many pairs. */
  n: number;
}

/**
 * `combine(a[i], b[i])` over rounds run back to back, summarised: the median (the mean of the middle two for
 * an even count) and range. Undefined when no round has both sides.
 */
export function pairedMedian(a: readonly number[], b: readonly number[], combine: (x: number, y: number) => number): PairedRatio | undefined {
  const values: number[] = [];
  for (let i = 0; i < Math.min(a.length, b.length); i++) {
    const v = combine(a[i]!, b[i]!);
    if (Number.isFinite(v)) values.push(v);
  }
  if (values.length === 0) return undefined;
  values.sort((x, y) => x - y);
  const mid = values.length >> 1;
  const median = values.length % 2 ? values[mid]! : (values[mid - 1]! + values[mid]!) / 2;
  return { median, min: values[0]!, max: values[values.length - 1]!, n: values.length };
}

/** Ratios `a[i] / b[i]` of rounds run back to back (rounds where `b` is 0 left out). */
export function pairedRatio(a: readonly number[], b: readonly number[]): PairedRatio | undefined {
  return pairedMedian(a, b, (x, y) => (y > 0 ? x / y : Number.NaN));
}
