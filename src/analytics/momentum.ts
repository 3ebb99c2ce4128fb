/**
 * Momentum signals (the market-signal node). Prices become bars: ticks (trade prices or quote
 * mids) are grouped into bars of `barMs` by event time, a closed candle is a bar. Each closed bar
 * updates one indicator — rate of change, fast/slow EMA spread, deviation from a rolling VWAP,
 * or the z-score of the latest return — and a three-state machine (buy, sell, flat) with
 * hysteresis turns its value into a side. A signal goes out only when the side changes, after
 * the warm-up, and not sooner than the cooldown after the previous signal of that symbol; a
 * change held back by the cooldown goes out at the first bar after it if it still holds.
 *
 * Memory per symbol: the current bar and the indicator's window (lookback or two EMAs); symbols
 * silent for long are dropped.
 */
import type { MarketEvent } from '../model/events';
import { roundTo, short, tidy } from './numbers';

export const SIGNAL_METHODS = ['roc', 'ema', 'vwap', 'zscore'] as const;
export type SignalMethod = (typeof SIGNAL_METHODS)[number];
export const SIGNAL_SOURCES = ['trade', 'quote', 'candle'] as const;
export type SignalSource = (typeof SIGNAL_SOURCES)[number];
export type SignalSide = 'buy' | 'sell' | 'flat';

export interface SignalSettings {
  method: SignalMethod;
  /** Which msgs give prices: trade prices, quote mids or closed candles. */
  source: SignalSource;
  /** Bar length for trades and quotes, ms (candles are bars already). */
  barMs: number;
  /** Bars for ROC, VWAP and the z-score. */
  lookback: number;
  /** EMA lengths in bars. */
  fast: number;
  slow: number;
  /** roc, ema, vwap: percent; zscore: standard deviations. */
  threshold: number;
  /** Fraction of the threshold the value must fall back by before the side returns to flat. */
  hysteresis: number;
  cooldownMs: number;
  /** Bars before the first signal; 0 = what the method needs (at least that many anyway). */
  warmupBars: number;
}

/** Thresholds that suit each method when the user leaves the field empty. */
export const SIGNAL_DEFAULT_THRESHOLDS: Readonly<Record<SignalMethod, number>> = Object.freeze({ roc: 0.5, ema: 0.02, vwap: 0.2, zscore: 2 });

export const SIGNAL_SETTINGS_DEFAULTS: Readonly<SignalSettings> = Object.freeze({
  method: 'ema',
  source: 'trade',
  barMs: 5_000,
  lookback: 20,
  fast: 12,
  slow: 26,
  threshold: SIGNAL_DEFAULT_THRESHOLDS.ema,
  hysteresis: 0.2,
  cooldownMs: 60_000,
  warmupBars: 0,
});

export interface SignalEvent {
  type: 'signal';
  provider: string;
  symbol: string;
  /** End of the bar that decided, epoch ms. */
  ts: number;
  side: SignalSide;
  previous: SignalSide;
  /** |value| / threshold: above 1 for buy and sell, at most 1 for flat; |value| when the threshold is 0. */
  strength: number;
  /** The indicator: percent for roc, ema and vwap, standard deviations for zscore. */
  value: number;
  threshold: number;
  method: SignalMethod;
  /** Close of the bar that decided. */
  price: number;
  reason: string;
}

export interface Bar {
  start: number;
  end: number;
  close: number;
  /** Weight for VWAP: traded size, or 1 per quote. */
  volume: number;
  /** Σ price × volume. */
  pv: number;
}

/** An indicator fed one closed bar at a time. */
export interface Indicator {
  /** Bars needed before `update` gives values. */
  readonly minBars: number;
  /** Adds a bar; the indicator's value, or null while it cannot say. */
  update(bar: Bar): number | null;
  /** The value in words, with the inputs: "EMA(12) 101.2 vs EMA(26) 100.9: +0.3 %". */
  describe(value: number): string;
}

/** Fixed-size window of numbers, oldest first. */
class Ring {
  private readonly values: Float64Array;
  private start = 0;
  private count = 0;

  constructor(capacity: number) {
    this.values = new Float64Array(capacity);
  }

  get length(): number {
    return this.count;
  }

  get full(): boolean {
    return this.count === this.values.length;
  }

  push(value: number): void {
    const capacity = this.values.length;
    if (this.count < capacity) {
      this.values[(this.start + this.count) % capacity] = value;
      this.count += 1;
    } else {
      this.values[this.start] = value;
      this.start = (this.start + 1) % capacity;
    }
  }

  /** i = 0 is the oldest. */
  at(i: number): number {
    return this.values[(this.start + i) % this.values.length] as number;
  }
}

/** Rate of change: percent change of the close over `lookback` bars. */
export class RateOfChange implements Indicator {
  readonly minBars: number;
  private readonly lookback: number;
  private readonly closes: Ring;

  constructor(lookback: number) {
    this.lookback = lookback;
    this.minBars = lookback + 1;
    this.closes = new Ring(lookback + 1);
  }

  update(bar: Bar): number | null {
    this.closes.push(bar.close);
    if (!this.closes.full) return null;
    const then = this.closes.at(0);
    return ((bar.close - then) / then) * 100;
  }

  describe(value: number): string {
    return `ROC over ${this.lookback} bars ${signed(value)} %`;
  }
}

/** Fast/slow EMA spread: (EMAfast − EMAslow) / EMAslow in percent. Both start at the first close. */
export class EmaCrossover implements Indicator {
  readonly minBars: number;
  private readonly fastBars: number;
  private readonly slowBars: number;
  private readonly fastAlpha: number;
  private readonly slowAlpha: number;
  private fast: number | null = null;
  private slow: number | null = null;

  constructor(fastBars: number, slowBars: number) {
    this.fastBars = fastBars;
    this.slowBars = slowBars;
    this.fastAlpha = 2 / (fastBars + 1);
    this.slowAlpha = 2 / (slowBars + 1);
    this.minBars = slowBars;
  }

  update(bar: Bar): number | null {
    if (this.fast === null || this.slow === null) {
      this.fast = bar.close;
      this.slow = bar.close;
    } else {
      this.fast += this.fastAlpha * (bar.close - this.fast);
      this.slow += this.slowAlpha * (bar.close - this.slow);
    }
    return ((this.fast - this.slow) / this.slow) * 100;
  }

  describe(value: number): string {
    return `EMA(${this.fastBars}) ${short(this.fast ?? Number.NaN, 6)} vs EMA(${this.slowBars}) ${short(this.slow ?? Number.NaN, 6)}: ${signed(value)} %`;
  }
}

/** Deviation of the close from the VWAP of the last `lookback` bars, percent. */
export class VwapDeviation implements Indicator {
  readonly minBars: number;
  private readonly lookback: number;
  private readonly pv: Ring;
  private readonly volume: Ring;
  private vwap = Number.NaN;
  private close = Number.NaN;

  constructor(lookback: number) {
    this.lookback = lookback;
    this.minBars = lookback;
    this.pv = new Ring(lookback);
    this.volume = new Ring(lookback);
  }

  update(bar: Bar): number | null {
    this.pv.push(bar.pv);
    this.volume.push(bar.volume);
    if (!this.pv.full) return null;
    let pv = 0;
    let volume = 0;
    for (let i = 0; i < this.pv.length; i++) {
      pv += this.pv.at(i);
      volume += this.volume.at(i);
    }
    if (!(volume > 0)) return null;
    this.vwap = pv / volume;
    this.close = bar.close;
    return ((bar.close - this.vwap) / this.vwap) * 100;
  }

  describe(value: number): string {
    return `price ${short(this.close, 6)} vs VWAP(${this.lookback} bars) ${short(this.vwap, 6)}: ${signed(value)} %`;
  }
}

/** Z-score of the latest log return against the mean and sample deviation of the `lookback` returns before it. */
export class ReturnZScore implements Indicator {
  readonly minBars: number;
  private readonly lookback: number;
  private readonly returns: Ring;
  private lastClose: number | null = null;

  constructor(lookback: number) {
    this.lookback = lookback;
    this.minBars = lookback + 2;
    this.returns = new Ring(lookback + 1);
  }

  update(bar: Bar): number | null {
    const previous = this.lastClose;
    this.lastClose = bar.close;
    if (previous === null) return null;
    this.returns.push(Math.log(bar.close / previous));
    if (!this.returns.full) return null;
    const n = this.lookback;
    let mean = 0;
    for (let i = 0; i < n; i++) mean += this.returns.at(i);
    mean /= n;
    let squares = 0;
    for (let i = 0; i < n; i++) squares += (this.returns.at(i) - mean) ** 2;
    const deviation = Math.sqrt(squares / (n - 1));
    if (!(deviation > 0)) return null;
    return (this.returns.at(n) - mean) / deviation;
  }

  describe(value: number): string {
    return `return z-score over ${this.lookback} bars ${signed(value)}`;
  }
}

export function createIndicator(settings: Pick<SignalSettings, 'method' | 'lookback' | 'fast' | 'slow'>): Indicator {
  switch (settings.method) {
    case 'roc':
      return new RateOfChange(settings.lookback);
    case 'ema':
      return new EmaCrossover(settings.fast, settings.slow);
    case 'vwap':
      return new VwapDeviation(settings.lookback);
    case 'zscore':
      return new ReturnZScore(settings.lookback);
  }
}

/**
 * Buy above +threshold, sell below −threshold; a side is kept until the value falls back
 * inside ±threshold × (1 − hysteresis), then flat. Changes are held back during the cooldown.
 */
export class SignalStateMachine {
  private readonly threshold: number;
  private readonly release: number;
  private readonly cooldownMs: number;
  private current: SignalSide = 'flat';
  private lastChangeAt = Number.NEGATIVE_INFINITY;

  constructor(threshold: number, hysteresis: number, cooldownMs: number) {
    this.threshold = threshold;
    this.release = threshold * (1 - hysteresis);
    this.cooldownMs = cooldownMs;
  }

  get side(): SignalSide {
    return this.current;
  }

  /** The side the value calls for, from the current side. */
  wanted(value: number): SignalSide {
    if (value > this.threshold) return 'buy';
    if (value < -this.threshold) return 'sell';
    if (this.current === 'buy' && value > this.release) return 'buy';
    if (this.current === 'sell' && value < -this.release) return 'sell';
    return 'flat';
  }

  /** Feeds a value at an instant; the new side when it changes now, else null. */
  update(value: number, at: number): SignalSide | null {
    const wanted = this.wanted(value);
    if (wanted === this.current || at - this.lastChangeAt < this.cooldownMs) return null;
    this.current = wanted;
    this.lastChangeAt = at;
    return wanted;
  }

  /** Why the side is what it is, in words. */
  explain(side: SignalSide, unit: string): string {
    const t = short(this.threshold, 6);
    if (side === 'buy') return `above +${t}${unit}`;
    if (side === 'sell') return `below −${t}${unit}`;
    return `back within ±${short(this.release, 6)}${unit} (threshold ${t}${unit})`;
  }
}

interface SymbolMomentum {
  provider: string;
  bar: Bar | null;
  bars: number;
  indicator: Indicator;
  machine: SignalStateMachine;
  lastSeenAt: number;
  /** Length of this symbol's bars (candles bring their own). */
  barMs: number;
}

/** A symbol silent for this many of its bars (and at least an hour) is dropped. */
const IDLE_BARS = 3;
const MIN_IDLE_MS = 3_600_000;
const SWEEP_EVERY_MS = 60_000;

/** Per-symbol momentum signals from a stream of normalized events. */
export class MomentumTracker {
  private readonly settings: SignalSettings;
  private readonly symbols = new Map<string, SymbolMomentum>();
  private readonly warmupBars: number;
  private latest = Number.NEGATIVE_INFINITY;
  private nextSweepAt = Number.NEGATIVE_INFINITY;

  constructor(settings: Partial<SignalSettings> = {}) {
    this.settings = { ...SIGNAL_SETTINGS_DEFAULTS, threshold: SIGNAL_DEFAULT_THRESHOLDS[settings.method ?? SIGNAL_SETTINGS_DEFAULTS.method], ...settings };
    this.warmupBars = Math.max(this.settings.warmupBars, createIndicator(this.settings).minBars);
  }

  /** Bars a symbol needs before its first signal. */
  get warmup(): number {
    return this.warmupBars;
  }

  get trackedSymbols(): number {
    return this.symbols.size;
  }

  /** Bars closed so far for a symbol (0 when unknown). */
  barsOf(symbol: string): number {
    return this.symbols.get(symbol)?.bars ?? 0;
  }

  /**
   * Takes one event. Returns the signal when this event closed a bar that changed the side,
   * null otherwise (and for events the chosen source does not use: see `accepts`).
   */
  onEvent(event: MarketEvent): SignalEvent | null {
    if (!this.accepts(event)) return null;
    this.housekeeping(event.ts);
    if (event.type === 'candle') {
      if (!event.closed) return null;
      const weight = event.volume !== null && event.volume > 0 ? event.volume : 1;
      const state = this.stateOf(event.symbol, event.provider, event.end - event.start, event.ts);
      return this.closeBar(event.symbol, state, { start: event.start, end: event.end, close: event.close, volume: weight, pv: ((event.high + event.low + event.close) / 3) * weight });
    }
    let price: number;
    let volume: number;
    let pv: number;
    if (event.type === 'trade') {
      price = event.price;
      volume = event.size;
      pv = (event.vwap ?? event.price) * event.size;
    } else if (event.type === 'quote') {
      if (event.bid === null || event.ask === null || !(event.bid > 0) || event.ask < event.bid) return null;
      price = (event.bid + event.ask) / 2;
      volume = 1;
      pv = price;
    } else {
      return null;
    }
    if (!(price > 0)) return null;
    const barMs = this.settings.barMs;
    const state = this.stateOf(event.symbol, event.provider, barMs, event.ts);
    const start = Math.floor(event.ts / barMs) * barMs;
    const bar = state.bar;
    if (bar === null || start > bar.start) {
      state.bar = { start, end: start + barMs, close: price, volume, pv };
      return bar === null ? null : this.closeBar(event.symbol, state, bar);
    }
    // Same bar (or a late tick for it): the close is the latest tick's price.
    bar.close = price;
    bar.volume += volume;
    bar.pv += pv;
    return null;
  }

  /** Whether an event is of the kind the source setting reads (a closed or open candle counts for 'candle'). */
  accepts(event: MarketEvent): boolean {
    return event.type === this.settings.source;
  }

  private stateOf(symbol: string, provider: string, barMs: number, ts: number): SymbolMomentum {
    let state = this.symbols.get(symbol);
    if (!state) {
      const s = this.settings;
      state = { provider, bar: null, bars: 0, indicator: createIndicator(s), machine: new SignalStateMachine(s.threshold, s.hysteresis, s.cooldownMs), lastSeenAt: ts, barMs };
      this.symbols.set(symbol, state);
    }
    state.lastSeenAt = ts;
    state.barMs = barMs;
    return state;
  }

  private closeBar(symbol: string, state: SymbolMomentum, bar: Bar): SignalEvent | null {
    state.bars += 1;
    const value = state.indicator.update(bar);
    if (value === null || state.bars < this.warmupBars) return null;
    const previous = state.machine.side;
    const side = state.machine.update(value, bar.end);
    if (side === null) return null;
    const s = this.settings;
    const unit = s.method === 'zscore' ? '' : ' %';
    return {
      type: 'signal',
      provider: state.provider,
      symbol,
      ts: bar.end,
      side,
      previous,
      strength: roundTo(s.threshold > 0 ? Math.abs(value) / s.threshold : Math.abs(value), 3),
      value: tidy(roundTo(value, 8)),
      threshold: s.threshold,
      method: s.method,
      price: tidy(bar.close),
      reason: `${side}: ${state.indicator.describe(value)}, ${state.machine.explain(side, unit)}`,
    };
  }

  private housekeeping(ts: number): void {
    if (ts > this.latest) this.latest = ts;
    if (this.latest < this.nextSweepAt) return;
    this.nextSweepAt = this.latest + SWEEP_EVERY_MS;
    for (const [symbol, state] of this.symbols) {
      const idleMs = Math.max(MIN_IDLE_MS, IDLE_BARS * this.warmupBars * state.barMs);
      if (this.latest - state.lastSeenAt > idleMs) this.symbols.delete(symbol);
    }
  }
}

function signed(value: number): string {
  const text = short(Math.abs(value), 4);
  return value < 0 ? `−${text}` : `+${text}`;
}
