/**
 * `binance`: Binance Spot market streams (no account needed). Quotes from bookTicker, trades from
 * trade (or aggTrade), candles from kline, books from diff depth + REST snapshots.
 * Options (the config node's `options` JSON): `tradeStream` ("trade" | "aggTrade"), `timeUnit`
 * ("MILLISECOND" | "MICROSECOND"). Feeds: live, data-only, testnet, demo.
 */
import type { ProviderDefinition } from '../../model/provider';
import { BinanceAdapter } from './adapter';
import { DEFAULT_BINANCE_TUNING, type BinanceTuning } from './limits';
import { BINANCE_FEED_NAMES, BINANCE_FEEDS, BINANCE_INTERVALS, binanceFeed, canonicalBinanceSymbol, parseBinanceOptions } from './settings';

/** The Binance provider; tests pass shorter timings (rotation, verification, limits). */
export function createBinanceProvider(tuning: Partial<BinanceTuning> = {}): ProviderDefinition {
  const effective: BinanceTuning = { ...DEFAULT_BINANCE_TUNING, ...tuning };
  return {
    id: 'binance',
    label: 'Binance',
    status: 'available',
    channels: ['quote', 'trade', 'candle', 'book'],
    intervals: BINANCE_INTERVALS,
    fields: { endpoint: true, restEndpoint: true, feed: BINANCE_FEED_NAMES, options: true },
    credentials: [],
    defaultEndpoint: BINANCE_FEEDS.live.ws,
    defaultRestEndpoint: BINANCE_FEEDS.live.rest,
    exampleSymbols: 'BTCUSDT, ETHUSDT',
    chainSubscriptions: false,
    canonicalSymbol: canonicalBinanceSymbol,
    validateSettings(settings) {
      try {
        binanceFeed(settings);
        parseBinanceOptions(settings.options);
        return urlProblem(settings.endpoint, ['ws:', 'wss:'], 'endpoint') ?? urlProblem(settings.restEndpoint, ['http:', 'https:'], 'REST endpoint');
      } catch (err) {
        return err instanceof Error ? err.message : String(err);
      }
    },
    create: (context) => new BinanceAdapter(context, effective),
  };
}

export const binanceProvider = createBinanceProvider();

function urlProblem(url: string, protocols: string[], field: string): string | null {
  if (!url) return null;
  let protocol = '';
  try {
    protocol = new URL(url).protocol;
  } catch {
    return `Binance: the ${field} "${url}" is not a URL; leave it empty for Binance's own, or write e.g. ${protocols[1]}//host:port`;
  }
  return protocols.includes(protocol) ? null : `Binance: the ${field} must start with ${protocols.join(' or ')}//, got "${url}"`;
}

export { BinanceDecoder, SINGLE_SOURCE, type BinanceFrameSink, type DepthDiff, type FrameSource } from './decode';
export type { BinanceTuning } from './limits';
