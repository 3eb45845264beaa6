/** Small statistics and formatting helpers shared by every part of the bench. */

export type Summary = { n: number; p50: number; p99: number };

/** Count and nearest-rank quantiles (NaN when empty). */
export function summarize(values: ArrayLike<number>): Summary {
  const sorted = Float64Array.from(values).sort();
  const at = (q: number) => (sorted.length ? sorted[Math.max(0, Math.ceil(q * sorted.length) - 1)]! : NaN);
  return { n: sorted.length, p50: at(0.5), p99: at(0.99) };
}

/** The median (the mean of the middle two for an even count) and range of `values`; undefined when empty. */
export function medianRange(values: number[]): { median: number; min: number; max: number } | undefined {
  const v = values.filter(Number.isFinite).sort((x, y) => x - y);
  if (v.length === 0) return undefined;
  const mid = v.length >> 1;
  return { median: v.length % 2 ? v[mid]! : (v[mid - 1]! + v[mid]!) / 2, min: v[0]!, max: v[v.length - 1]! };
}

const finite = (v: number | undefined): v is number => v !== undefined && Number.isFinite(v);

/** Milliseconds with a sensible number of decimals. */
export const ms = (v: number | undefined) => (finite(v) ? `${v.toFixed(Math.abs(v) < 1 ? 3 : Math.abs(v) < 10 ? 2 : Math.abs(v) < 100 ? 1 : 0)} ms` : 'n/a');

export const us = (vMs: number | undefined) => (finite(vMs) ? `${(vMs * 1000).toFixed(1)} µs` : 'n/a');
export const pct = (v: number | undefined) => (finite(v) ? `${(v * 100).toFixed(1)} %` : 'n/a');
export const mb = (bytes: number | undefined) => (finite(bytes) ? `${(bytes / 1048576).toFixed(1)} MB` : 'n/a');
/** A time that may be not measured (undefined) or never reached (null). */
export const time = (v: number | null | undefined) => (v === undefined ? '–' : v === null ? 'never' : `${int(v)} ms`);
export const int = (v: number | undefined) => (finite(v) ? Math.round(v).toLocaleString('en-US') : 'n/a');

/** A markdown table. */
export function table(header: string[], rows: (string | number)[][]): string {
  const line = (cells: (string | number)[]) => `| ${cells.map((c) => String(c).replace(/\|/g, '\\|')).join(' | ')} |`;
  return [line(header), `|${header.map(() => '---').join('|')}|`, ...rows.map(line)].join('\n');
}
