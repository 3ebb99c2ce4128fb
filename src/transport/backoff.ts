/**
 * Reconnect delays: exponential from `initialMs` to `maxMs`, with jitter so that many clients
 * dropped at once do not reconnect in step (docs/architecture.md, "Connections").
 */
export interface BackoffPolicy {
  initialMs: number;
  maxMs: number;
  factor: number;
  /** Fraction of each delay that is randomized: the delay lies in [base × (1 − jitter), base]. */
  jitter: number;
  /** A connection that stays up this long resets the attempt counter. */
  resetAfterMs: number;
}

export const DEFAULT_BACKOFF: Readonly<BackoffPolicy> = Object.freeze({
  initialMs: 500,
  maxMs: 30_000,
  factor: 2,
  jitter: 0.5,
  resetAfterMs: 60_000,
});

/** Doublings of the wait after refused credentials: 2^4 = 16 × the cap at most. */
export const REFUSED_GROWTH_STEPS = 4;

/** The wait after the n-th refusal in a row: `capMs`, then doubling, up to 16 × `capMs`. */
export function refusedWaitMs(refusals: number, capMs: number = DEFAULT_BACKOFF.maxMs): number {
  return capMs * Math.pow(2, Math.min(Math.max(refusals, 1), REFUSED_GROWTH_STEPS + 1) - 1);
}

export class Backoff {
  private readonly policy: BackoffPolicy;
  private readonly random: () => number;
  private attemptCount = 0;

  constructor(policy: Partial<BackoffPolicy> = {}, random: () => number = Math.random) {
    this.policy = { ...DEFAULT_BACKOFF, ...policy };
    this.random = random;
  }

  /** Attempts since the last reset. */
  get attempt(): number {
    return this.attemptCount;
  }

  get resetAfterMs(): number {
    return this.policy.resetAfterMs;
  }

  /**
   * The wait after the n-th refusal of the credentials in a row (n ≥ 1): a refusal is not a
   * network blip, so the first waits the cap and each next one twice as long, up to 16 × the cap
   * (30 s, 60 s, 2 min, 4 min, then 8 min with the default policy).
   */
  refusedWaitMs(refusals: number): number {
    return refusedWaitMs(refusals, this.policy.maxMs);
  }

  /** Delay before the next attempt; counts the attempt. */
  next(): number {
    const { initialMs, maxMs, factor, jitter } = this.policy;
    const base = Math.min(maxMs, initialMs * Math.pow(factor, this.attemptCount));
    this.attemptCount += 1;
    return Math.round(base * (1 - jitter * this.random()));
  }

  reset(): void {
    this.attemptCount = 0;
  }
}
