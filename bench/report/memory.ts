import type { MemoryResult } from '../memory.js';
import { int, mb, table } from '../stats.js';

/** RSS in the middle and at the end of the run (from the samples), MB. */
export function secondHalfGrowth(m: MemoryResult): { mid: number; end: number } | undefined {
  if (m.samples.length < 4) return undefined;
  const last = m.samples[m.samples.length - 1]!;
  const mid = m.samples.reduce((a, s) => (Math.abs(s.atS - last.atS / 2) < Math.abs(a.atS - last.atS / 2) ? s : a));
  return { mid: mid.rssMb, end: last.rssMb };
}

export function memorySection(m: MemoryResult, out: string[]): void {
  out.push(
    `${int(m.completed)} of ${int(m.requested)} requests (three quarters plain, one quarter streamed) at ${m.loads[0] ? int(m.loads[0].rps) : '?'} / ${m.loads[1] ? int(m.loads[1].rps) : '?'} req/s, ${m.elapsedS.toFixed(0)} s, through the gateway child started with \`--expose-gc\`. ` +
      '"Before" is after warm-up and a full GC; "after" is after 6 s idle (keep-alive sockets expire) and a full GC.',
    '',
    table(
      ['', 'RSS', 'heap used', 'external', 'sockets / timers (active handles)'],
      [
        ['before', mb(m.before.rss), mb(m.before.heapUsed), mb(m.before.external), JSON.stringify(m.before.resources)],
        ['peak during the run', `${m.peakRssMb.toFixed(1)} MB`, `${Math.max(...m.samples.map((s) => s.heapMb), 0).toFixed(1)} MB`, '', ''],
        ['after', mb(m.after.rss), mb(m.after.heapUsed), mb(m.after.external), JSON.stringify(m.after.resources)],
      ],
    ),
    '',
  );
  if (m.samples.length > 0) {
    const step = Math.max(1, Math.ceil(m.samples.length / 12));
    const picked = m.samples.filter((_, i) => i % step === 0 || i === m.samples.length - 1);
    out.push(`RSS during the run (MB): ${picked.map((s) => `${s.atS.toFixed(0)} s: ${s.rssMb.toFixed(0)}`).join(' · ')}`, '');
  }
}
