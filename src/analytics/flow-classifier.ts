/**
 * Options-flow classification over a stream of normalized events (docs/architecture.md, the
 * market-flow-classify node). Option prints of one contract on one side are grouped into an
 * order while they fall within `windowMs` of the order's first print; the order is then
 * classified (SWEEP, SPLIT, BLOCK, SINGLE), priced against the NBBO of its first print and
 * handed to the sink. Quotes give the NBBO, the underlying's quotes and trades (or the print's
 * own `underlyingPrice`) its price, option summaries the open interest.
 *
 * Time is event time (StreamClock): an order closes when a later event shows its window has
 * passed, or, on a quiet stream, when the wall clock says so with some grace for late prints.
 * Memory: a few open orders, one entry per contract and underlying seen in the last
 * IDLE_AFTER_MS, and the rolling statistics' buckets.
 */
import type { MarketEvent, OptionInfo, TradeEvent } from '../model/events';
import { FLOW_DEFAULTS, type FlowKind, type FlowThresholds } from '../model/flow';
import { optionInfoFromOcc, parseOccSymbol } from '../model/occ';
import { RollingFlowStats, type FlowStats } from './flow-stats';
import { roundTo, short, tidy, usd } from './numbers';
import {
  NewYorkCalendar,
  flowKindOf,
  moneynessOf,
  premiumUsdOf,
  sentimentOf,
  sideVsNbbo,
  type FlowSentiment,
  type Moneyness,
  type Nbbo,
  type NbboSide,
} from './option-flow';
import { StreamClock } from './stream-clock';

export interface FlowSettings extends FlowThresholds {
  /** Rolling statistics every this many ms of event time; 0 = off. */
  statsEveryMs: number;
  statsWindowMs: number;
  /** How many contracts the statistics list, by premium. */
  topContracts: number;
}

export const FLOW_SETTINGS_DEFAULTS: Readonly<FlowSettings> = Object.freeze({ ...FLOW_DEFAULTS, statsEveryMs: 10_000, statsWindowMs: 300_000, topContracts: 5 });

/** One classified order: a single print, or the prints of a sweep or split aggregated. */
export interface FlowEvent {
  type: 'flow';
  provider: string;
  symbol: string;
  option: OptionInfo;
  /** First print, epoch ms. */
  ts: number;
  /** Last print, epoch ms. */
  lastTs: number;
  /** Volume-weighted price of the prints. */
  price: number;
  /** Contracts. */
  size: number;
  /** Σ price × size × multiplier, USD to the cent. */
  premiumUsd: number;
  /** Against the NBBO of the first print; null without a usable quote. */
  side: NbboSide | null;
  sentiment: FlowSentiment;
  /** Null when the underlying's price is unknown. */
  moneyness: Moneyness | null;
  underlyingPrice: number | null;
  /** Calendar days to expiry, New York. */
  dte: number;
  kind: FlowKind;
  /** Exchanges of the prints, in print order, each once. */
  exchanges: string[];
  prints: number;
  whale: boolean;
  /** Day volume / open interest, when an option summary gave both. */
  volOi?: number;
  /** The quote the side was judged against. */
  nbbo: Nbbo | null;
  /** Which rules fired, with the numbers. */
  explain: string;
}

export interface ClassifiedFlow<C> {
  flow: FlowEvent;
  /** The prints, oldest first. */
  trades: TradeEvent[];
  /** What the caller passed with the order's first print (the node: its msg). */
  carry: C;
}

export interface FlowSink<C> {
  flow(result: ClassifiedFlow<C>): void;
  stats?(stats: FlowStats): void;
}

/** On a silent stream, an order also closes this long after its window by the wall clock, for prints still in flight. */
export const LATE_PRINT_GRACE_MS = 1_000;
/** Quotes, prices and open interest of a symbol not heard of for this long are forgotten. */
export const IDLE_AFTER_MS = 15 * 60_000;
const SWEEP_EVERY_MS = 60_000;

type Direction = 'buy' | 'sell' | 'mid' | 'unknown';

interface OpenOrder<C> {
  key: string;
  option: OptionInfo;
  firstTs: number;
  lastTs: number;
  trades: TradeEvent[];
  exchanges: string[];
  size: number;
  notional: number;
  premiumUsd: number;
  maxPrintSize: number;
  maxPrintPremiumUsd: number;
  direction: Direction;
  /** Most aggressive NBBO side among the prints; null when no print had a usable quote. */
  side: NbboSide | null;
  nbbo: Nbbo | null;
  underlyingPrice: number | null;
  carry: C;
}

interface QuoteState {
  bid: number | null;
  ask: number | null;
  at: number;
}

interface PriceState {
  price: number;
  at: number;
}

interface ActivityState {
  openInterest: number | null;
  /** Day volume: the summary's, plus every print since. Null when no summary gave one. */
  volume: number | null;
  at: number;
}

const AGGRESSION: Readonly<Record<NbboSide, number>> = { mid: 0, ask: 1, bid: 1, 'above-ask': 2, 'below-bid': 2 };

export class FlowClassifier<C = undefined> {
  private readonly settings: FlowSettings;
  private readonly sink: FlowSink<C>;
  private readonly clock = new StreamClock();
  private readonly calendar = new NewYorkCalendar();
  private readonly open = new Map<string, OpenOrder<C>>();
  /** Wall time of the last event pushed, and whether one came since the last tick. */
  private lastEventWallAt = 0;
  private eventsSinceTick = false;
  private readonly quotes = new Map<string, QuoteState>();
  private readonly underlyings = new Map<string, PriceState>();
  private readonly activity = new Map<string, ActivityState>();
  private readonly rolling: RollingFlowStats | null;
  private nextStatsAt: number | null = null;
  private nextSweepAt: number | null = null;

  constructor(settings: Partial<FlowSettings>, sink: FlowSink<C>) {
    this.settings = { ...FLOW_SETTINGS_DEFAULTS, ...settings };
    this.sink = sink;
    this.rolling = this.settings.statsEveryMs > 0 ? new RollingFlowStats(this.settings.statsWindowMs, this.settings.topContracts) : null;
  }

  /** Orders waiting for their window to pass. */
  get openOrders(): number {
    return this.open.size;
  }

  /** Symbols remembered (quotes, underlying prices, open interest): bounded by IDLE_AFTER_MS. */
  get trackedSymbols(): number {
    return this.quotes.size + this.underlyings.size + this.activity.size;
  }

  /**
   * Takes one event. Returns false when the event is of no use to the classifier (a book, a
   * candle, a status msg...). `carry` travels with an order's first print to the sink.
   */
  push(event: MarketEvent, wallNow: number, carry: C): boolean {
    this.clock.observe(event.ts, wallNow);
    this.lastEventWallAt = wallNow;
    this.eventsSinceTick = true;
    this.closeDue(null);
    let used = true;
    switch (event.type) {
      case 'trade':
        this.onTrade(event, carry);
        break;
      case 'quote':
        this.onQuote(event.symbol, event.option, event.bid, event.ask, event.ts);
        break;
      case 'summary':
        if (event.option || parseOccSymbol(event.symbol)) this.onOptionSummary(event.symbol, event.openInterest, event.volume, event.ts);
        else used = false;
        break;
      case 'greeks':
        if (typeof event.underlyingPrice === 'number' && event.underlyingPrice > 0) {
          const option = optionOf(event.symbol, event.option);
          if (option) this.setUnderlying(option.underlying, event.underlyingPrice, event.ts);
        }
        break;
      default:
        used = false;
    }
    this.housekeeping(wallNow);
    return used;
  }

  /** Closes the orders whose window has passed by the wall clock, and sends statistics that are due. Call every ~100 ms. */
  tick(wallNow: number): void {
    // By the wall clock only when the stream was silent over a whole tick: a replay or a
    // full-speed feed that stalled (GC, a busy machine) resumes with its next event before the
    // tick after next, so its orders still close by event time alone, the same on every run.
    const silent = !this.eventsSinceTick;
    this.eventsSinceTick = false;
    this.closeDue(silent ? wallNow : null);
    this.housekeeping(wallNow);
  }

  /** Closes every open order now (end of a test or a replay). */
  flush(): void {
    for (const order of this.open.values()) this.close(order);
    this.open.clear();
  }

  private onTrade(trade: TradeEvent, carry: C): void {
    const option = optionOf(trade.symbol, trade.option);
    if (!option) {
      // A print of the underlying itself: its price.
      if (trade.price > 0) this.setUnderlying(trade.symbol, trade.price, trade.ts);
      return;
    }
    if (typeof trade.underlyingPrice === 'number' && trade.underlyingPrice > 0) this.setUnderlying(option.underlying, trade.underlyingPrice, trade.ts);
    // A print without a positive price and size says nothing about an order (and would make its price NaN).
    if (!(trade.price > 0 && trade.size > 0)) return;
    const activity = this.activity.get(trade.symbol);
    if (activity && activity.volume !== null) activity.volume += trade.size;

    const quote = this.quotes.get(trade.symbol);
    const nbbo: Nbbo | null = quote ? { bid: quote.bid, ask: quote.ask } : null;
    const side = nbbo ? sideVsNbbo(trade.price, nbbo) : null;
    const direction: Direction = side ? directionOf(side) : (trade.side ?? 'unknown');
    const key = `${trade.symbol}|${direction}`;
    const premium = premiumUsdOf(trade.price, trade.size, option.multiplier);
    const order = this.open.get(key);
    if (order) {
      order.trades.push(trade);
      if (trade.exchange && !order.exchanges.includes(trade.exchange)) order.exchanges.push(trade.exchange);
      order.lastTs = Math.max(order.lastTs, trade.ts);
      order.size += trade.size;
      order.notional += trade.price * trade.size;
      order.premiumUsd += premium;
      order.maxPrintSize = Math.max(order.maxPrintSize, trade.size);
      order.maxPrintPremiumUsd = Math.max(order.maxPrintPremiumUsd, premium);
      if (side && (order.side === null || AGGRESSION[side] > AGGRESSION[order.side])) order.side = side;
      return;
    }
    this.open.set(key, {
      key,
      option,
      firstTs: trade.ts,
      lastTs: trade.ts,
      trades: [trade],
      exchanges: trade.exchange ? [trade.exchange] : [],
      size: trade.size,
      notional: trade.price * trade.size,
      premiumUsd: premium,
      maxPrintSize: trade.size,
      maxPrintPremiumUsd: premium,
      direction,
      side,
      nbbo,
      underlyingPrice: typeof trade.underlyingPrice === 'number' && trade.underlyingPrice > 0 ? trade.underlyingPrice : (this.underlyings.get(option.underlying)?.price ?? null),
      carry,
    });
  }

  private onQuote(symbol: string, option: OptionInfo | undefined, bid: number | null, ask: number | null, ts: number): void {
    if (option || parseOccSymbol(symbol)) {
      const state = this.quotes.get(symbol);
      if (state) {
        state.bid = bid;
        state.ask = ask;
        state.at = ts;
      } else {
        this.quotes.set(symbol, { bid, ask, at: ts });
      }
    } else if (bid !== null && ask !== null && bid > 0 && ask >= bid) {
      this.setUnderlying(symbol, (bid + ask) / 2, ts);
    }
  }

  private onOptionSummary(symbol: string, openInterest: number | null | undefined, volume: number | null | undefined, ts: number): void {
    const state = this.activity.get(symbol);
    const oi = typeof openInterest === 'number' ? openInterest : null;
    const vol = typeof volume === 'number' ? volume : null;
    if (state) {
      if (oi !== null) state.openInterest = oi;
      if (vol !== null) state.volume = vol;
      state.at = ts;
    } else {
      this.activity.set(symbol, { openInterest: oi, volume: vol, at: ts });
    }
  }

  private setUnderlying(symbol: string, price: number, ts: number): void {
    const state = this.underlyings.get(symbol);
    if (state) {
      state.price = price;
      state.at = ts;
    } else {
      this.underlyings.set(symbol, { price, at: ts });
    }
  }

  /**
   * Orders were opened in arrival order, so the due ones are at the front: close them until the
   * first that may still grow.
   */
  /** `silentWallNow`: the wall time, when the stream has been silent since the last tick; null otherwise. */
  private closeDue(silentWallNow: number | null): void {
    const latest = this.clock.latestEventAt;
    if (this.open.size === 0 || latest === null) return;
    const windowMs = this.settings.windowMs;
    const quietFor = silentWallNow === null ? 0 : silentWallNow - this.lastEventWallAt;
    for (const order of this.open.values()) {
      const due = latest - order.firstTs >= windowMs || quietFor >= windowMs + LATE_PRINT_GRACE_MS;
      if (!due) break;
      this.open.delete(order.key);
      this.close(order);
    }
  }

  private close(order: OpenOrder<C>): void {
    const flow = this.describe(order);
    this.rolling?.add(flow);
    this.sink.flow({ flow, trades: order.trades, carry: order.carry });
  }

  private describe(order: OpenOrder<C>): FlowEvent {
    const t = this.settings;
    const { option, trades } = order;
    const first = trades[0] as TradeEvent;
    const premiumUsd = roundTo(order.premiumUsd, 2);
    const kind = flowKindOf({ prints: trades.length, exchanges: order.exchanges.length, maxPrintSize: order.maxPrintSize, maxPrintPremiumUsd: order.maxPrintPremiumUsd }, t);
    const whale = premiumUsd >= t.whaleMinPremiumUsd;
    const aggressor: NbboSide | null = order.direction === 'buy' ? 'ask' : order.direction === 'sell' ? 'bid' : null;
    const sentiment = sentimentOf(option.right, order.side ?? aggressor);
    const moneyness = order.underlyingPrice === null ? null : moneynessOf(option.right, option.strike, order.underlyingPrice, t.atmBandPct);
    const dte = this.calendar.daysToExpiry(order.firstTs, option.expiry);
    const price = tidy(order.notional / order.size);
    const flow: FlowEvent = {
      type: 'flow',
      provider: first.provider,
      symbol: first.symbol,
      option,
      ts: order.firstTs,
      lastTs: order.lastTs,
      price,
      size: tidy(order.size),
      premiumUsd,
      side: order.side,
      sentiment,
      moneyness,
      underlyingPrice: order.underlyingPrice,
      dte,
      kind,
      exchanges: order.exchanges,
      prints: trades.length,
      whale,
      nbbo: order.nbbo,
      explain: '',
    };
    const activity = this.activity.get(first.symbol);
    if (activity && activity.openInterest !== null && activity.openInterest > 0 && activity.volume !== null) {
      flow.volOi = roundTo(activity.volume / activity.openInterest, 4);
    }
    flow.explain = [
      explainKind(kind, order, t),
      whale ? `whale: premium ${usd(premiumUsd)} ≥ ${usd(t.whaleMinPremiumUsd)}` : `premium ${usd(premiumUsd)} < whale ${usd(t.whaleMinPremiumUsd)}`,
      explainSide(order, price),
      moneyness === null ? 'moneyness unknown: no underlying price' : `${moneyness}: underlying ${short(order.underlyingPrice as number, 4)} vs strike ${option.strike} (ATM band ±${short((option.strike * t.atmBandPct) / 100, 4)})`,
      `${dte} DTE (expires ${option.expiry}, New York)`,
    ].join('; ');
    return flow;
  }

  private housekeeping(wallNow: number): void {
    const now = this.clock.now(wallNow);
    if (now === null) return;
    if (this.rolling && this.sink.stats) {
      const every = this.settings.statsEveryMs;
      if (this.nextStatsAt === null) this.nextStatsAt = (Math.floor(now / every) + 1) * every;
      else if (now >= this.nextStatsAt) {
        this.nextStatsAt = (Math.floor(now / every) + 1) * every;
        this.sink.stats(this.rolling.snapshot(now));
      }
    }
    if (this.nextSweepAt === null) this.nextSweepAt = now + SWEEP_EVERY_MS;
    else if (now >= this.nextSweepAt) {
      this.nextSweepAt = now + SWEEP_EVERY_MS;
      const cutoff = now - IDLE_AFTER_MS;
      for (const map of [this.quotes, this.underlyings, this.activity] as Array<Map<string, { at: number }>>) {
        for (const [symbol, state] of map) if (state.at < cutoff) map.delete(symbol);
      }
    }
  }
}

/** The option block of an event: its own, or decoded from an OCC symbol; null for non-options. */
function optionOf(symbol: string, option: OptionInfo | undefined): OptionInfo | null {
  if (option) return option;
  const parts = parseOccSymbol(symbol);
  return parts ? optionInfoFromOcc(parts) : null;
}

function directionOf(side: NbboSide): Direction {
  if (side === 'ask' || side === 'above-ask') return 'buy';
  if (side === 'bid' || side === 'below-bid') return 'sell';
  return 'mid';
}

function explainKind<C>(kind: FlowKind, order: OpenOrder<C>, t: FlowThresholds): string {
  const prints = order.trades.length;
  const spanMs = order.lastTs - order.firstTs;
  switch (kind) {
    case 'SWEEP':
      return `SWEEP: ${prints} prints on ${order.exchanges.length} exchanges (${order.exchanges.join(', ')}) within ${spanMs} ms (window ${t.windowMs} ms)`;
    case 'SPLIT':
      return `SPLIT: ${prints} prints on ${order.exchanges.length === 1 ? order.exchanges[0] : 'one exchange'} within ${spanMs} ms (window ${t.windowMs} ms)`;
    case 'BLOCK':
      return order.maxPrintSize >= t.blockMinSize
        ? `BLOCK: one print of ${order.maxPrintSize} contracts ≥ ${t.blockMinSize}`
        : `BLOCK: one print of ${usd(order.maxPrintPremiumUsd)} premium ≥ ${usd(t.blockMinPremiumUsd)}`;
    default:
      return `SINGLE: one print of ${order.maxPrintSize} contracts, ${usd(order.maxPrintPremiumUsd)} (a block is ≥ ${t.blockMinSize} contracts or ≥ ${usd(t.blockMinPremiumUsd)})`;
  }
}

function explainSide<C>(order: OpenOrder<C>, price: number): string {
  const nbbo = order.nbbo;
  const quote = nbbo ? `NBBO ${nbbo.bid ?? 'none'} × ${nbbo.ask ?? 'none'}` : 'no NBBO';
  if (order.side === null) {
    const aggressor = order.direction === 'buy' || order.direction === 'sell' ? `; aggressor ${order.direction} (venue flag)` : '';
    return `side unknown: price ${price}, ${quote}${aggressor}`;
  }
  return `${order.side}: price ${price}, ${quote}`;
}
