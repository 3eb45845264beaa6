/*
 * Who pays for a failure (docs/design.md, Attribution). A failure whose blame is `unclear` (see
 * endpoint/classify.ts) is held by its request: charged to the endpoint's circuit only if another attempt of
 * the same request is answered (evidence that the request was answerable), at most once per endpoint per
 * request and once per caller per window; dropped if the request is answered nowhere.
 */

/** Why a failure was, or was not, charged to a circuit: the `reason` of `switchyard_charges_total`. */
export type ChargeReason =
  /** charged: the provider's fault beyond doubt (5xx, overload, refused, a hang, a rate limit…). */
  | 'provider_fault'
  /** charged: an unclear failure, and another attempt of the same request was answered. */
  | 'evidence'
  /** charged: a watched attempt (its caller gone) got nothing from the provider before its own timeout. */
  | 'hang'
  /** spared: an unclear failure, and the request was answered nowhere: the request's problem. */
  | 'no_evidence'
  /** spared: an unclear failure with evidence, but this caller already weighed on the endpoint this window. */
  | 'caller_limit'
  /** spared: the request was wrong (`client_error`) or failed locally (`local_error`). */
  | 'request_fault'
  /** spared: the caller went away (`cancelled`), and nothing showed the provider at fault. */
  | 'caller_gone';

export type ChargeVerdict = 'charged' | 'spared';

export const CHARGE_REASONS: Readonly<Record<ChargeReason, ChargeVerdict>> = {
  provider_fault: 'charged',
  evidence: 'charged',
  hang: 'charged',
  no_evidence: 'spared',
  caller_limit: 'spared',
  request_fault: 'spared',
  caller_gone: 'spared',
};

/** Most callers remembered per endpoint and window; past it, further unclear charges are spared. */
const MAX_CALLERS = 10_000;

/** Callers whose unclear failures were charged to one endpoint: each weighs at most once per window. */
export class CallerWindow {
  private readonly charged = new Map<string, number>();

  constructor(private readonly windowMs: number) {}

  /** True, and remembered, when `caller` has not been charged within the window. */
  admit(caller: string, now: number): boolean {
    const last = this.charged.get(caller);
    if (last !== undefined && now - last < this.windowMs) return false;
    if (last === undefined && this.charged.size >= MAX_CALLERS) {
      for (const [c, at] of this.charged) if (now - at >= this.windowMs) this.charged.delete(c);
      // A flood of distinct callers is itself no evidence against the endpoint: spare the rest.
      if (this.charged.size >= MAX_CALLERS) return false;
    }
    this.charged.delete(caller);
    this.charged.set(caller, now);
    return true;
  }
}

/** An unclear failure waiting for evidence: the endpoint and the circuit generation it happened in. */
export interface PendingCharge {
  readonly endpoint: string;
  readonly generation: number;
}

/** One request's unclear failures, one per endpoint. */
export class Ledger {
  private pending: PendingCharge[] | undefined;

  hold(endpoint: string, generation: number): void {
    const list = (this.pending ??= []);
    if (!list.some((p) => p.endpoint === endpoint)) list.push({ endpoint, generation });
  }

  /** Hands every held failure over once, and forgets them. */
  drain(): readonly PendingCharge[] {
    const list = this.pending ?? [];
    this.pending = undefined;
    return list;
  }
}
