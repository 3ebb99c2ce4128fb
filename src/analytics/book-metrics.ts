/**
 * Order-book analytics (the market-book-analytics node): metrics of one consistent top-N book
 * view, and a per-symbol analyzer that rate-limits them, raises spread and imbalance alerts with
 * hysteresis and cooldown, and refuses to compute on a book that lost sync.
 *
 * Sync: providers emit book msgs only while a book is synced; a `{type:"status",
 * state:"resyncing", symbol}` msg marks the symbol out of sync until its next book msg, and a
 * connection-level loss (reconnecting, stale, error, closed) marks every symbol.
 */
import type { BookEvent, BookLevel } from '../model/events';
import { tidy, tidyAt } from './numbers';
import { ThresholdAlert } from './threshold-alert';

export interface BookMetrics {
  type: 'bookMetrics';
  provider: string;
  symbol: string;
  /** The book's timestamp. */
  ts: number;
  bestBid: number | null;
  bestBidSize: number | null;
  bestAsk: number | null;
  bestAskSize: number | null;
  mid: number | null;
  spread: number | null;
  /** Spread as a percentage of mid. */
  spreadPct: number | null;
  /** Spread in basis points of mid (1 bp = 0.01 %). */
  spreadBps: number | null;
  /** Top-of-book size-weighted price: (bid × askSize + ask × bidSize) / (bidSize + askSize). */
  microprice: number | null;
  /** N: the levels per side the sums below use (fewer when the book is shallower). */
  levels: number;
  /** Σ size of the top N bids. */
  bidSize: number;
  askSize: number;
  /** (bidSize − askSize) / (bidSize + askSize), from −1 (all asks) to 1 (all bids); null for an empty book. */
  imbalance: number | null;
  /** bidSize / askSize; null without asks. */
  bidAskRatio: number | null;
  /** Σ price × size of the top N bids. */
  bidNotional: number;
  askNotional: number;
  /** Cumulative size at each of the top N bid levels, best first. */
  bidDepth: number[];
  askDepth: number[];
  bandBps: number;
  /** Σ size of the bids priced within bandBps of mid (every level of the msg); null without a mid. */
  bidSizeInBand: number | null;
  askSizeInBand: number | null;
}

export interface BookSettings {
  /** Top N levels for imbalance, notional and depth. */
  levels: number;
  /** Depth within this many bps of mid. */
  bandBps: number;
  /** Least ms of book time between two metrics of one symbol; 0 = every book. */
  rateMs: number;
  /** Alert when the spread rises above this many bps; 0 = off. */
  spreadBpsAlert: number;
  /** Alert when |imbalance| rises above this; 0 = off. */
  imbalanceAlert: number;
  /** Fraction of the threshold the value must fall back by to re-arm. */
  hysteresis: number;
  /** Least ms between two alerts of one kind for one symbol. */
  cooldownMs: number;
}

export const BOOK_SETTINGS_DEFAULTS: Readonly<BookSettings> = Object.freeze({
  levels: 10,
  bandBps: 10,
  rateMs: 1_000,
  spreadBpsAlert: 0,
  imbalanceAlert: 0.6,
  hysteresis: 0.2,
  cooldownMs: 30_000,
});

export type BookAlertKind = 'spread' | 'imbalance' | 'sync' | 'crossed';

export interface BookAlert {
  type: 'alert';
  kind: BookAlertKind;
  provider?: string;
  symbol: string;
  ts: number;
  /** spread: spreadBps; imbalance: the signed imbalance. */
  value?: number;
  threshold?: number;
  /** The value must fall back to this before the alert can fire again. */
  rearmAt?: number;
  /** imbalance: the heavier side. */
  heavierSide?: 'bid' | 'ask';
  /** sync: the book's new state. */
  state?: 'resyncing' | 'synced';
  detail: string;
}

export interface BookResult {
  /** Null when rate-limited or when the book could not be used. */
  metrics: BookMetrics | null;
  alerts: readonly BookAlert[];
}

/** Why a book view cannot be used, or null when it can. */
export function bookProblem(book: BookEvent): string | null {
  if (!Array.isArray(book.bids) || !Array.isArray(book.asks)) return 'bids and asks must be arrays of [price, size]';
  const bid = book.bids[0]?.[0];
  const ask = book.asks[0]?.[0];
  if (bid !== undefined && ask !== undefined && bid >= ask) return `crossed book: best bid ${bid} ≥ best ask ${ask}`;
  return null;
}

/** Spread in bps of mid, or null when a side is empty. */
export function spreadBpsOf(book: BookEvent): number | null {
  const bid = book.bids[0]?.[0];
  const ask = book.asks[0]?.[0];
  if (bid === undefined || ask === undefined) return null;
  return tidy((spreadOf(bid, ask) / ((ask + bid) / 2)) * 10_000);
}

/** Ask − bid without the binary noise of the subtraction. */
function spreadOf(bid: number, ask: number): number {
  return tidyAt(ask - bid, ask);
}

/** Imbalance of the top N levels, or null when both are empty. */
export function imbalanceOf(book: BookEvent, levels: number): number | null {
  const bidSize = sumSizes(book.bids, levels);
  const askSize = sumSizes(book.asks, levels);
  return bidSize + askSize > 0 ? tidy((bidSize - askSize) / (bidSize + askSize)) : null;
}

/** A level exactly on the band's edge counts as inside despite binary noise. */
const EDGE = 1e-12;

/** Every metric of one book view. */
export function bookMetrics(book: BookEvent, levels: number, bandBps: number): BookMetrics {
  const bestBid = book.bids[0];
  const bestAsk = book.asks[0];
  const mid = bestBid && bestAsk ? (bestBid[0] + bestAsk[0]) / 2 : null;
  const spread = bestBid && bestAsk ? spreadOf(bestBid[0], bestAsk[0]) : null;
  const bids = topSide(book.bids, levels);
  const asks = topSide(book.asks, levels);
  const total = bids.size + asks.size;
  return {
    type: 'bookMetrics',
    provider: book.provider,
    symbol: book.symbol,
    ts: book.ts,
    bestBid: bestBid ? bestBid[0] : null,
    bestBidSize: bestBid ? bestBid[1] : null,
    bestAsk: bestAsk ? bestAsk[0] : null,
    bestAskSize: bestAsk ? bestAsk[1] : null,
    mid: mid === null ? null : tidy(mid),
    spread,
    spreadPct: spread === null || mid === null ? null : tidy((spread / mid) * 100),
    spreadBps: spread === null || mid === null ? null : tidy((spread / mid) * 10_000),
    microprice: bestBid && bestAsk && bestBid[1] + bestAsk[1] > 0 ? tidy((bestBid[0] * bestAsk[1] + bestAsk[0] * bestBid[1]) / (bestBid[1] + bestAsk[1])) : null,
    levels: Math.max(bids.depth.length, asks.depth.length),
    bidSize: tidy(bids.size),
    askSize: tidy(asks.size),
    imbalance: total > 0 ? tidy((bids.size - asks.size) / total) : null,
    bidAskRatio: asks.size > 0 ? tidy(bids.size / asks.size) : null,
    bidNotional: tidy(bids.notional),
    askNotional: tidy(asks.notional),
    bidDepth: bids.depth,
    askDepth: asks.depth,
    bandBps,
    bidSizeInBand: mid === null ? null : tidy(sizeWithin(book.bids, (price) => price >= mid * (1 - bandBps / 10_000) - EDGE * mid)),
    askSizeInBand: mid === null ? null : tidy(sizeWithin(book.asks, (price) => price <= mid * (1 + bandBps / 10_000) + EDGE * mid)),
  };
}

interface SymbolBook {
  synced: boolean;
  /** Sync was lost after a good book: the next book is announced. */
  lost: boolean;
  lastMetricsAt: number;
  lastSeenAt: number;
  provider: string;
  spread: ThresholdAlert;
  imbalance: ThresholdAlert;
  crossedAt: number;
}

/** Connection states after which no book can be trusted until its next msg. */
const CONNECTION_LOSS = new Set(['reconnecting', 'stale', 'error', 'closed']);
/** A symbol without a book for this long is forgotten (alert states included). */
export const BOOK_IDLE_AFTER_MS = 15 * 60_000;
const SWEEP_EVERY_MS = 60_000;
/** Most books of a rate-limited stream give nothing: one shared, frozen answer. */
const NO_RESULT: BookResult = Object.freeze({ metrics: null, alerts: Object.freeze([]) });

export class BookAnalyzer {
  private readonly settings: BookSettings;
  private readonly books = new Map<string, SymbolBook>();
  private latest = Number.NEGATIVE_INFINITY;
  private nextSweepAt = Number.NEGATIVE_INFINITY;

  constructor(settings: Partial<BookSettings> = {}) {
    this.settings = { ...BOOK_SETTINGS_DEFAULTS, ...settings };
  }

  /** Symbols tracked now. */
  get symbols(): number {
    return this.books.size;
  }

  /** Symbols whose book lost sync and has not come back yet. */
  get outOfSync(): number {
    let count = 0;
    for (const state of this.books.values()) if (state.lost) count += 1;
    return count;
  }

  isSynced(symbol: string): boolean {
    return this.books.get(symbol)?.synced ?? false;
  }

  onBook(book: BookEvent): BookResult {
    const s = this.settings;
    this.housekeeping(book.ts);
    let state = this.books.get(book.symbol);
    if (!state) {
      state = {
        synced: false,
        lost: false,
        lastMetricsAt: Number.NEGATIVE_INFINITY,
        lastSeenAt: book.ts,
        provider: book.provider,
        spread: new ThresholdAlert(s.spreadBpsAlert, s.hysteresis, s.cooldownMs),
        imbalance: new ThresholdAlert(s.imbalanceAlert, s.hysteresis, s.cooldownMs),
        crossedAt: Number.NEGATIVE_INFINITY,
      };
      this.books.set(book.symbol, state);
    }
    state.lastSeenAt = book.ts;
    const problem = bookProblem(book);
    if (problem) {
      if (book.ts - state.crossedAt < s.cooldownMs) return NO_RESULT;
      state.crossedAt = book.ts;
      return { metrics: null, alerts: [{ type: 'alert', kind: 'crossed', provider: book.provider, symbol: book.symbol, ts: book.ts, detail: `${book.symbol}: ${problem}; no metrics from this book` }] };
    }

    let alerts: BookAlert[] | null = null;
    let resynced = false;
    if (!state.synced) {
      state.synced = true;
      if (state.lost) {
        state.lost = false;
        resynced = true;
        alerts = [{ type: 'alert', kind: 'sync', state: 'synced', provider: book.provider, symbol: book.symbol, ts: book.ts, detail: `${book.symbol}: book back in sync` }];
      }
    }
    if (state.spread.enabled) {
      const spreadBps = spreadBpsOf(book);
      if (spreadBps !== null && state.spread.update(spreadBps, book.ts)) {
        (alerts ??= []).push({
          type: 'alert',
          kind: 'spread',
          provider: book.provider,
          symbol: book.symbol,
          ts: book.ts,
          value: spreadBps,
          threshold: s.spreadBpsAlert,
          rearmAt: tidy(state.spread.rearmAt),
          detail: `${book.symbol}: spread ${spreadBps} bps > ${s.spreadBpsAlert} bps`,
        });
      }
    }
    if (state.imbalance.enabled) {
      const imbalance = imbalanceOf(book, s.levels);
      if (imbalance !== null && state.imbalance.update(Math.abs(imbalance), book.ts)) {
        const heavierSide = imbalance > 0 ? 'bid' : 'ask';
        (alerts ??= []).push({
          type: 'alert',
          kind: 'imbalance',
          provider: book.provider,
          symbol: book.symbol,
          ts: book.ts,
          value: imbalance,
          threshold: s.imbalanceAlert,
          rearmAt: tidy(state.imbalance.rearmAt),
          heavierSide,
          detail: `${book.symbol}: imbalance ${imbalance} over the top ${s.levels} levels, ${heavierSide} side heavier (|imbalance| > ${s.imbalanceAlert})`,
        });
      }
    }
    // A clock that went back (new session, replay) restarts the rate limit.
    const due = s.rateMs === 0 || resynced || book.ts - state.lastMetricsAt >= s.rateMs || book.ts < state.lastMetricsAt;
    if (due) state.lastMetricsAt = book.ts;
    if (!due && alerts === null) return NO_RESULT;
    return { metrics: due ? bookMetrics(book, s.levels, s.bandBps) : null, alerts: alerts ?? [] };
  }

  /** A status msg from stream-in's output 2: a lost book (or connection) marks symbols out of sync. */
  onStatus(status: { state: string; symbol?: string; ts: number; detail?: string }): BookAlert[] {
    const ts = status.ts;
    const lose = (symbol: string, state: SymbolBook, why: string): BookAlert | null => {
      if (!state.synced) return null;
      state.synced = false;
      state.lost = true;
      return { type: 'alert', kind: 'sync', state: 'resyncing', provider: state.provider, symbol, ts, detail: `${symbol}: book out of sync (${why}); no metrics until it is whole again` };
    };
    const alerts: BookAlert[] = [];
    if (status.symbol !== undefined) {
      const state = this.books.get(status.symbol);
      if (status.state === 'resyncing' && state) {
        const alert = lose(status.symbol, state, status.detail || 'resyncing');
        if (alert) alerts.push(alert);
      }
    } else if (CONNECTION_LOSS.has(status.state)) {
      for (const [symbol, state] of this.books) {
        const alert = lose(symbol, state, `connection ${status.state}`);
        if (alert) alerts.push(alert);
      }
    }
    return alerts;
  }

  private housekeeping(ts: number): void {
    if (ts > this.latest) this.latest = ts;
    if (this.latest < this.nextSweepAt) return;
    this.nextSweepAt = this.latest + SWEEP_EVERY_MS;
    const cutoff = this.latest - BOOK_IDLE_AFTER_MS;
    for (const [symbol, state] of this.books) if (state.lastSeenAt < cutoff) this.books.delete(symbol);
  }
}

interface SideTotals {
  size: number;
  notional: number;
  depth: number[];
}

function topSide(levels: readonly BookLevel[], count: number): SideTotals {
  const n = Math.min(count, levels.length);
  const depth: number[] = new Array(n);
  let size = 0;
  let notional = 0;
  for (let i = 0; i < n; i++) {
    const level = levels[i] as BookLevel;
    size += level[1];
    notional += level[0] * level[1];
    depth[i] = tidy(size);
  }
  return { size, notional, depth };
}

function sumSizes(levels: readonly BookLevel[], count: number): number {
  const n = Math.min(count, levels.length);
  let size = 0;
  for (let i = 0; i < n; i++) size += (levels[i] as BookLevel)[1];
  return size;
}

/** Σ size of the levels (best first) whose price passes `inBand`; stops at the first that does not. */
function sizeWithin(levels: readonly BookLevel[], inBand: (price: number) => boolean): number {
  let size = 0;
  for (const [price, levelSize] of levels) {
    if (!inBand(price)) break;
    size += levelSize;
  }
  return size;
}
