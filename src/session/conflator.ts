/**
 * `throttleMs` for one stream-in node: at most one msg per symbol and channel per period,
 * latest wins for quotes, books, greeks, summaries and candles; trades are folded into one
 * aggregated trade (count, volume, VWAP, last) instead of being dropped
 * (docs/architecture.md, "Backpressure"). Memory is one pending event per key.
 */
import type { MarketEvent, TradeEvent } from '../model/events';
import type { Clock, TimerHandle } from '../model/clock';

interface TradeFold {
  last: TradeEvent;
  count: number;
  volume: number;
  notional: number;
}

type Pending = { kind: 'latest'; event: MarketEvent } | { kind: 'trades'; fold: TradeFold };

export class Conflator {
  private readonly periodMs: number;
  private readonly clock: Clock;
  private readonly emit: (event: MarketEvent) => void;
  private readonly pending = new Map<string, Pending>();
  private readonly lastSentAt = new Map<string, number>();
  private timer: TimerHandle = null;
  private droppedCount = 0;

  constructor(periodMs: number, clock: Clock, emit: (event: MarketEvent) => void) {
    this.periodMs = periodMs;
    this.clock = clock;
    this.emit = emit;
  }

  /** Events replaced by a later one before they could be sent. */
  get dropped(): number {
    return this.droppedCount;
  }

  push(event: MarketEvent): void {
    const key = event.type === 'candle' ? `${event.type}:${event.symbol}@${event.interval}` : `${event.type}:${event.symbol}`;
    const now = this.clock.now();
    const waiting = this.pending.get(key);
    if (!waiting && now - (this.lastSentAt.get(key) ?? -Infinity) >= this.periodMs) {
      this.lastSentAt.set(key, now);
      this.emit(event);
      return;
    }
    if (event.type === 'trade') {
      if (waiting && waiting.kind === 'trades') {
        const fold = waiting.fold;
        fold.last = event;
        fold.count += 1;
        fold.volume += event.size;
        fold.notional += event.price * event.size;
      } else {
        this.pending.set(key, { kind: 'trades', fold: { last: event, count: 1, volume: event.size, notional: event.price * event.size } });
      }
    } else {
      if (waiting) this.droppedCount += 1;
      this.pending.set(key, { kind: 'latest', event });
    }
    this.ensureTimer();
  }

  /** Sends every pending event whose period has elapsed. */
  flushDue(): void {
    const now = this.clock.now();
    for (const [key, waiting] of this.pending) {
      if (now - (this.lastSentAt.get(key) ?? -Infinity) < this.periodMs) continue;
      this.pending.delete(key);
      this.lastSentAt.set(key, now);
      this.emit(waiting.kind === 'latest' ? waiting.event : foldedTrade(waiting.fold));
    }
    if (this.pending.size === 0) this.stopTimer();
  }

  /** Forgets pending events and stops the timer. */
  stop(): void {
    this.pending.clear();
    this.lastSentAt.clear();
    this.stopTimer();
  }

  private ensureTimer(): void {
    if (this.timer !== null) return;
    this.timer = this.clock.setInterval(() => this.flushDue(), Math.max(5, Math.floor(this.periodMs / 2)));
  }

  private stopTimer(): void {
    if (this.timer === null) return;
    this.clock.clearInterval(this.timer);
    this.timer = null;
  }
}

function foldedTrade(fold: TradeFold): TradeEvent {
  if (fold.count === 1) return fold.last;
  return { ...fold.last, size: fold.volume, count: fold.count, vwap: fold.notional / fold.volume };
}
