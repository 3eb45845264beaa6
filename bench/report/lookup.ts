import type { LibraryRow } from '../overhead-library.js';
import type { GatewayCell, GatewayOverhead, Mode, Target } from '../overhead-gateway.js';
import type { BenchResults } from './results.js';

export function cellOf(g: GatewayOverhead, mode: Mode, c: number, t: Target): GatewayCell | undefined {
  return g.cells.find((x) => x.mode === mode && x.connections === c && x.target === t);
}

/** The plain row of the router over `transport` without the OTel SDK, against `baseline` (earlier runs: every row was `sdk` against openai). */
export function libraryRow(r: BenchResults, transport: 'native' | 'sdk', baseline: NonNullable<LibraryRow['baseline']> = 'openai'): LibraryRow | undefined {
  return r.library?.rows.find(
    (x) => x.mode === 'plain' && x.transport === transport && (x.baseline ?? 'openai') === baseline && !x.variant.includes('OTel SDK'),
  );
}
