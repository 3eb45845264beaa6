/** Sorting callgrind's per-function counts into what bench/instructions.ts reports. */

export const CATEGORIES = ['rest', 'compiler', 'majorGc'] as const;
export type Counts = Record<(typeof CATEGORIES)[number], number>;

// V8's optimising compiler (TurboFan and what it runs on), and its parser and bytecode generator (not
// node's HTTP `Parser`, which is per-request work).
const COMPILER =
  /compiler::|maglev|Maglev|turboshaft|Turboshaft|Zone::|ZoneList|CompilationJob|OptimizedCompilation|interpreter::BytecodeGenerator|v8::internal::Parser(Base)?[:<]|v8::internal::Scanner::/;
// The mark-compact collector, incremental and concurrent marking, and the sweeper.
const MAJOR_GC = /MarkingVisitor|ConcurrentMarking|Sweeper|MarkCompact|MajorGC|IncrementalMarking|MarkingWorklist|MarkingBarrier/;

/** Sums `callgrind_annotate --inclusive=no` output (self counts per function) into the categories. */
export function categorize(annotated: string): Counts {
  const counts: Counts = { rest: 0, compiler: 0, majorGc: 0 };
  for (const line of annotated.split('\n')) {
    const m = /^\s*([\d,]+) \([^)]*\)\s+(.*)$/.exec(line);
    if (!m || line.includes('PROGRAM TOTALS')) continue;
    const n = Number(m[1]!.replace(/,/g, ''));
    const name = m[2]!;
    if (COMPILER.test(name)) counts.compiler += n;
    else if (MAJOR_GC.test(name)) counts.majorGc += n;
    else counts.rest += n;
  }
  return counts;
}
