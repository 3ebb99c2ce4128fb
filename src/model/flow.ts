/**
 * Options-flow vocabulary and default thresholds, shared by the classifier (src/analytics) and
 * the simulator, which labels the prints it generates against these same defaults.
 */
export const FLOW_KINDS = ['SWEEP', 'SPLIT', 'BLOCK', 'SINGLE'] as const;
export type FlowKind = (typeof FLOW_KINDS)[number];

export interface FlowThresholds {
  /** Prints of one contract and side closer than this belong to one order (sweep or split). */
  windowMs: number;
  /** A single print of at least this many contracts is a block. */
  blockMinSize: number;
  /** A single print of at least this premium is a block. */
  blockMinPremiumUsd: number;
  /** An order of at least this premium is a whale. */
  whaleMinPremiumUsd: number;
  /** At the money when the underlying is within ± this percent of the strike (edges inclusive). */
  atmBandPct: number;
}

export const FLOW_DEFAULTS: Readonly<FlowThresholds> = Object.freeze({
  windowMs: 500,
  blockMinSize: 250,
  blockMinPremiumUsd: 100_000,
  whaleMinPremiumUsd: 100_000,
  atmBandPct: 1,
});
