/**
 * A threshold alert with hysteresis and a cooldown, for one measure of one symbol:
 * it fires when the value rises above the threshold, then stays quiet until the value has
 * fallen back to threshold × (1 − hysteresis) (re-armed) and at least `cooldownMs` have passed
 * since it last fired. A crossing during the cooldown is not lost: if the value is still above
 * when the cooldown ends, the alert fires then.
 */
export class ThresholdAlert {
  readonly threshold: number;
  /** The value must fall to this (or below) to re-arm. */
  readonly rearmAt: number;
  private readonly cooldownMs: number;
  private armed = true;
  private lastFiredAt = Number.NEGATIVE_INFINITY;

  /** threshold 0 = off. hysteresis is a fraction of the threshold (0.2 = re-arm 20 % below it). */
  constructor(threshold: number, hysteresis: number, cooldownMs: number) {
    this.threshold = threshold;
    this.rearmAt = threshold * (1 - hysteresis);
    this.cooldownMs = cooldownMs;
  }

  get enabled(): boolean {
    return this.threshold > 0;
  }

  /** Feeds the value at an instant (epoch ms); true when the alert fires now. */
  update(value: number, at: number): boolean {
    if (this.threshold <= 0) return false;
    if (!this.armed) {
      if (value <= this.rearmAt) this.armed = true;
      return false;
    }
    if (value > this.threshold && at - this.lastFiredAt >= this.cooldownMs) {
      this.armed = false;
      this.lastFiredAt = at;
      return true;
    }
    return false;
  }
}
