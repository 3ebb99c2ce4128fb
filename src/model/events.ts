/**
 * The normalized message model (docs/architecture.md, "The normalized message").
 *
 * A value the source did not send is absent or null, never 0. Prices and sizes are numbers,
 * times are epoch milliseconds.
 */

/** Channels a stream-in node can subscribe to. */
export const CHANNELS = ['quote', 'trade', 'candle', 'book', 'greeks', 'summary'] as const;
export type Channel = (typeof CHANNELS)[number];

export function isChannel(value: unknown): value is Channel {
  return typeof value === 'string' && (CHANNELS as readonly string[]).includes(value);
}

export type OptionRight = 'call' | 'put';

export interface OptionInfo {
  /** Underlying symbol (SPX for an SPXW contract). */
  underlying: string;
  /** OCC root when it differs from the underlying (SPXW, adjusted roots like AAPL1). */
  root?: string;
  /** YYYY-MM-DD */
  expiry: string;
  right: OptionRight;
  strike: number;
  multiplier: number;
}

interface EventBase {
  provider: string;
  symbol: string;
  /** Exchange time, epoch ms; equals receivedAt when the source gives no usable time. Never 0. */
  ts: number;
  /** Local receive time, epoch ms. */
  receivedAt: number;
  option?: OptionInfo;
}

export interface QuoteEvent extends EventBase {
  type: 'quote';
  bid: number | null;
  bidSize: number | null;
  ask: number | null;
  askSize: number | null;
  bidExchange?: string;
  askExchange?: string;
}

export type AggressorSide = 'buy' | 'sell';

export interface TradeEvent extends EventBase {
  type: 'trade';
  price: number;
  /** Size of the print; for an aggregated (throttled) trade, the summed volume. */
  size: number;
  side?: AggressorSide;
  id?: string;
  exchange?: string;
  conditions?: string[];
  /** Underlying price at print time, when the source sends it (options). */
  underlyingPrice?: number;
  /** Present only on throttled trades: number of prints folded into this msg. */
  count?: number;
  /** Present only on throttled trades: volume-weighted price of the folded prints. */
  vwap?: number;
}

export interface CandleEvent extends EventBase {
  type: 'candle';
  interval: string;
  /** Bucket start, epoch ms. */
  start: number;
  /** Bucket end (exclusive), epoch ms. */
  end: number;
  open: number;
  high: number;
  low: number;
  close: number;
  volume: number | null;
  closed: boolean;
}

/** [price, size] */
export type BookLevel = [number, number];

export interface BookEvent extends EventBase {
  type: 'book';
  /** Best first. */
  bids: BookLevel[];
  /** Best first. */
  asks: BookLevel[];
  depth: number;
  seq?: number;
}

export interface GreeksEvent extends EventBase {
  type: 'greeks';
  delta: number | null;
  gamma: number | null;
  /** Per calendar day. */
  theta: number | null;
  /** Per 1 volatility point (0.01). */
  vega: number | null;
  rho?: number | null;
  /** Fraction: 0.25 = 25 %. */
  iv: number | null;
  theo?: number | null;
  underlyingPrice?: number | null;
}

export interface SummaryEvent extends EventBase {
  type: 'summary';
  open?: number | null;
  high?: number | null;
  low?: number | null;
  prevClose?: number | null;
  volume?: number | null;
  openInterest?: number | null;
  vwap?: number | null;
}

/**
 * Extension (DXLink `TheoPrice`): the provider's theoretical option price and the model inputs
 * behind it. Delivered on the `greeks` channel.
 */
export interface TheoEvent extends EventBase {
  type: 'theo';
  /** Theoretical option price. */
  price: number | null;
  underlyingPrice: number | null;
  delta: number | null;
  gamma: number | null;
  /** Dividend yield used by the model (fraction). */
  dividend?: number | null;
  /** Interest rate used by the model (fraction). */
  interest?: number | null;
}

/**
 * Extension (DXLink `Underlying`): option-implied statistics of an underlying (not of one
 * contract). Delivered on the `greeks` channel when an underlying symbol is subscribed.
 */
export interface UnderlyingEvent extends EventBase {
  type: 'underlying';
  /** 30-day implied volatility of the underlying's options, fraction. */
  volatility: number | null;
  /** Front-month implied volatility, fraction. */
  frontVolatility?: number | null;
  /** Back-month implied volatility, fraction. */
  backVolatility?: number | null;
  /** Day's call volume (contracts). */
  callVolume?: number | null;
  /** Day's put volume (contracts). */
  putVolume?: number | null;
  putCallRatio?: number | null;
}

export type MarketEvent = QuoteEvent | TradeEvent | CandleEvent | BookEvent | GreeksEvent | SummaryEvent | TheoEvent | UnderlyingEvent;
export type MarketEventType = MarketEvent['type'];

/** Which subscription channel an event type is delivered on. Extension types map onto a base channel. */
export const EVENT_CHANNEL: Readonly<Record<MarketEventType, Channel>> = {
  quote: 'quote',
  trade: 'trade',
  candle: 'candle',
  book: 'book',
  greeks: 'greeks',
  summary: 'summary',
  // Extensions ride on the channel a user would tick for them: model and volatility values.
  theo: 'greeks',
  underlying: 'greeks',
};

export const CONNECTION_STATES = ['connecting', 'connected', 'reconnecting', 'stale', 'error', 'closed'] as const;
export type ConnectionState = (typeof CONNECTION_STATES)[number];

/** Stream-in output 2: connection and per-symbol state changes. */
export interface StatusEvent {
  type: 'status';
  state: ConnectionState | 'resyncing' | 'synced';
  detail: string;
  provider?: string;
  /** Set for per-symbol states (resyncing/synced). */
  symbol?: string;
  attempt?: number;
  retryInMs?: number;
  ts: number;
}

/**
 * Stream-in output 2: something the user should act on that is neither a state change nor an
 * error yet, e.g. a refresh token that expires tomorrow.
 */
export interface NoticeEvent {
  type: 'notice';
  level: 'info' | 'warning';
  /** Stable machine-readable code, e.g. REFRESH_TOKEN_EXPIRING. */
  code: string;
  detail: string;
  provider?: string;
  /** When the thing the notice is about happens (expiry), epoch ms. */
  at?: number;
  ts: number;
}

/** Stream-in output 2: periodic health of one stream-in node. */
export interface HealthEvent {
  type: 'health';
  msgsPerSec: number;
  /** Events shed by throttling since the node started (latest-wins conflation). */
  dropped: number;
  errors: number;
  /** Subscribed symbols silent for longer than the node's staleAfter. */
  stale: string[];
  ts: number;
}
