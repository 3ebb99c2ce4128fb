/**
 * Binance settings: endpoints per feed, symbol shape, stream names, the config node's options.
 * Protocol facts: docs/protocols/binance.md (§1 endpoints, §6 payloads).
 */
import type { Channel } from '../../model/events';
import { MarketError } from '../../model/errors';
import type { ProviderSettings, UpstreamSubscription } from '../../model/provider';

export const BINANCE_INTERVALS = ['1s', '1m', '3m', '5m', '15m', '30m', '1h', '2h', '4h', '6h', '8h', '12h', '1d', '3d', '1w', '1M'] as const;

export interface BinanceFeed {
  /** Combined-stream WebSocket path (payloads arrive as {stream, data}). */
  ws: string;
  /** REST base for /api/v3/depth and /api/v3/exchangeInfo. */
  rest: string;
}

/** `feed` choices, first = default (docs/protocols/binance.md §1). */
export const BINANCE_FEEDS: Readonly<Record<string, BinanceFeed>> = {
  live: { ws: 'wss://stream.binance.com:9443/stream', rest: 'https://api.binance.com' },
  'data-only': { ws: 'wss://data-stream.binance.vision/stream', rest: 'https://data-api.binance.vision' },
  testnet: { ws: 'wss://stream.testnet.binance.vision/stream', rest: 'https://testnet.binance.vision' },
  demo: { ws: 'wss://demo-stream.binance.com/stream', rest: 'https://demo-api.binance.com' },
};
export const BINANCE_FEED_NAMES = Object.keys(BINANCE_FEEDS);

export type TradeStream = 'trade' | 'aggTrade';

export interface BinanceOptions {
  /** `trade` (every fill) or `aggTrade` (fills of one taker order folded into one print). */
  tradeStream: TradeStream;
  /** Time fields in microseconds on the wire (`timeUnit=MICROSECOND`); events keep epoch ms (with a fraction). */
  microseconds: boolean;
}

export function parseBinanceOptions(options: Record<string, unknown>): BinanceOptions {
  const tradeStream = options.tradeStream ?? 'trade';
  if (tradeStream !== 'trade' && tradeStream !== 'aggTrade') {
    throw binanceConfigError(`options.tradeStream must be "trade" or "aggTrade", got ${JSON.stringify(tradeStream)}`);
  }
  const timeUnit = options.timeUnit ?? 'MILLISECOND';
  const unit = typeof timeUnit === 'string' ? timeUnit.toUpperCase() : '';
  if (unit !== 'MILLISECOND' && unit !== 'MICROSECOND') {
    throw binanceConfigError(`options.timeUnit must be "MILLISECOND" or "MICROSECOND", got ${JSON.stringify(timeUnit)}`);
  }
  return { tradeStream, microseconds: unit === 'MICROSECOND' };
}

export function binanceFeed(settings: ProviderSettings): BinanceFeed {
  const feed = BINANCE_FEEDS[settings.feed || 'live'];
  if (!feed) throw binanceConfigError(`feed must be one of ${BINANCE_FEED_NAMES.join(', ')}, got "${settings.feed}"`);
  return feed;
}

/** The WebSocket URL: the endpoint override (a bare host gets `/stream`) or the feed's, plus `timeUnit`. */
export function binanceStreamUrl(settings: ProviderSettings, options: BinanceOptions): string {
  let url = settings.endpoint || binanceFeed(settings).ws;
  const parsed = new URL(url);
  if (parsed.pathname === '' || parsed.pathname === '/') parsed.pathname = '/stream';
  if (options.microseconds) parsed.searchParams.set('timeUnit', 'MICROSECOND');
  url = parsed.toString();
  return url;
}

export function binanceRestBase(settings: ProviderSettings): string {
  return (settings.restEndpoint || binanceFeed(settings).rest).replace(/\/+$/, '');
}

const SYMBOL_SHAPE = /^[A-Z0-9]{2,30}$/;

/** BTCUSDT: letters and digits, no separator (Binance's own notation, upper case). */
export function canonicalBinanceSymbol(text: string): string {
  const symbol = text.trim().toUpperCase();
  if (!SYMBOL_SHAPE.test(symbol)) {
    const hint = /[-/_ ]/.test(symbol) ? `; Binance writes pairs without a separator, e.g. ${symbol.replace(/[-/_ ]/g, '')}` : ', e.g. BTCUSDT';
    throw new MarketError('CONFIG', `Binance: "${text.trim()}" is not a Binance symbol${hint}`, { provider: 'binance' });
  }
  return symbol;
}

/** The stream a subscription maps to (docs/protocols/binance.md §6): symbols lower case, stream types camelCase. */
export function streamName(sub: Pick<UpstreamSubscription, 'channel' | 'symbol' | 'interval'>, tradeStream: TradeStream): string {
  const symbol = sub.symbol.toLowerCase();
  return streamFor(symbol, sub.channel, tradeStream, sub.interval);
}

function streamFor(symbol: string, channel: Channel, tradeStream: TradeStream, interval: string | undefined): string {
  switch (channel) {
    case 'quote':
      return `${symbol}@bookTicker`;
    case 'trade':
      return `${symbol}@${tradeStream}`;
    case 'candle':
      return `${symbol}@kline_${interval ?? '1m'}`;
    case 'book':
      return `${symbol}@depth@100ms`;
    default:
      throw new MarketError('SUBSCRIPTION', `Binance has no ${channel} channel`, { provider: 'binance', channel });
  }
}

/** REST snapshot size for a book of `depth` levels: deep enough that deletions near the top never empty the view (weight 50 at 1000). */
export function snapshotLimit(depth: number): number {
  return depth > 500 ? 5000 : 1000;
}

function binanceConfigError(message: string): MarketError {
  return new MarketError('CONFIG', `Binance: ${message}`, { provider: 'binance' });
}
