import type { FailoverResult } from '../failover/index.js';
import type { Machine, SrcVersion } from '../machine.js';
import type { MemoryResult } from '../memory.js';
import type { LibraryOverhead } from '../overhead-library.js';
import type { GatewayOverhead } from '../overhead-gateway.js';
import type { ProfileSummary } from '../profile.js';
import type { SoakReport } from '../soak/index.js';

export interface BenchResults {
  quick: boolean;
  command: string;
  startedAt: Date;
  finishedAt: Date;
  machine: Machine;
  /** The last commit that touched src/ when the run started, and whether src/ had uncommitted changes. */
  src?: SrcVersion;
  loadAverage: { start: string; end: string };
  params: Record<string, unknown>;
  library?: LibraryOverhead;
  gateway?: GatewayOverhead;
  profiles?: ProfileSummary[];
  memory?: MemoryResult;
  failover?: FailoverResult[];
  soak?: SoakReport;
  /** Section -> error message, for sections that could not run. */
  errors: Record<string, string>;
  /** Section -> seconds it took. */
  timings: Record<string, number>;
}
