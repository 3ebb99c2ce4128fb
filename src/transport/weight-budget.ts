/**
 * A venue's REST request-weight budget over a sliding minute (Binance: 6,000 weight a minute
 * per IP, 429 then 418 bans past it). Calls wait their turn, in order, until their weight fits;
 * none is refused. `cancel()` rejects every waiting call (the adapter is stopping).
 */
import type { Clock, TimerHandle } from '../model/clock';

const WINDOW_MS = 60_000;

interface Waiter {
  readonly weight: number;
  readonly resolve: () => void;
  readonly reject: (err: Error) => void;
}

export class WeightBudget {
  private readonly spent: Array<{ at: number; weight: number }> = [];
  private readonly waiting: Waiter[] = [];
  private timer: TimerHandle = null;

  constructor(
    private readonly clock: Clock,
    /** Weight allowed per minute. */
    readonly perMinute: number,
  ) {}

  /** Weight spent in the last minute. */
  get used(): number {
    this.forgetOld(this.clock.now());
    return this.spent.reduce((sum, entry) => sum + entry.weight, 0);
  }

  /** Resolves when `weight` fits in the minute's budget (a call heavier than the budget waits for an empty minute). */
  take(weight: number): Promise<void> {
    return new Promise<void>((resolve, reject) => {
      this.waiting.push({ weight, resolve, reject });
      this.drain();
    });
  }

  cancel(reason: Error): void {
    if (this.timer !== null) this.clock.clearTimeout(this.timer);
    this.timer = null;
    for (const waiter of this.waiting.splice(0)) waiter.reject(reason);
  }

  private drain(): void {
    if (this.timer !== null) return;
    const now = this.clock.now();
    this.forgetOld(now);
    let used = this.spent.reduce((sum, entry) => sum + entry.weight, 0);
    while (this.waiting.length > 0) {
      const next = this.waiting[0] as Waiter;
      if (used + next.weight > this.perMinute && this.spent.length > 0) break;
      this.waiting.shift();
      this.spent.push({ at: now, weight: next.weight });
      used += next.weight;
      next.resolve();
    }
    if (this.waiting.length === 0) return;
    const oldest = this.spent[0] as { at: number };
    this.timer = this.clock.setTimeout(() => {
      this.timer = null;
      this.drain();
    }, Math.max(1, oldest.at + WINDOW_MS - now));
  }

  private forgetOld(now: number): void {
    while (this.spent.length > 0 && (this.spent[0] as { at: number }).at <= now - WINDOW_MS) this.spent.shift();
  }
}
