/**
 * `kraken`: Kraken Spot WebSocket v2 public market data (no account needed). Quotes from ticker
 * (on every best bid/offer change), trades from trade, candles from ohlc, books from book with
 * the CRC-32 checksum verified on every message. Pair names are v2's: BTC/USD, not XBT/USD.
 */
import type { ProviderDefinition } from '../../model/provider';
import { KrakenAdapter } from './adapter';
import { DEFAULT_KRAKEN_TUNING, type KrakenTuning } from './limits';
import { KRAKEN_FEED_NAMES, KRAKEN_FEEDS, KRAKEN_INTERVALS, canonicalKrakenSymbol, krakenUrl } from './settings';

export function createKrakenProvider(tuning: Partial<KrakenTuning> = {}): ProviderDefinition {
  const effective: KrakenTuning = { ...DEFAULT_KRAKEN_TUNING, ...tuning };
  return {
    id: 'kraken',
    label: 'Kraken',
    status: 'available',
    channels: ['quote', 'trade', 'candle', 'book'],
    intervals: KRAKEN_INTERVALS,
    fields: { endpoint: true, restEndpoint: false, feed: KRAKEN_FEED_NAMES, options: false },
    credentials: [],
    defaultEndpoint: KRAKEN_FEEDS.production as string,
    defaultRestEndpoint: '',
    exampleSymbols: 'BTC/USD, ETH/USD',
    chainSubscriptions: false,
    canonicalSymbol: canonicalKrakenSymbol,
    validateSettings(settings) {
      if (settings.endpoint && !/^wss?:\/\//.test(settings.endpoint)) return `Kraken: the endpoint must start with ws:// or wss://, got "${settings.endpoint}"`;
      try {
        krakenUrl(settings);
        return null;
      } catch (err) {
        return err instanceof Error ? err.message : String(err);
      }
    },
    create: (context) => new KrakenAdapter(context, effective),
  };
}

export const krakenProvider = createKrakenProvider();
export type { KrakenTuning } from './limits';
