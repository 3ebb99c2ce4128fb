/**
 * Coinbase Advanced Trade market data: endpoint, product ids, channel names.
 * Protocol facts: docs/protocols/coinbase.md.
 */
import { MarketError } from '../../model/errors';
import type { ProviderSettings } from '../../model/provider';

export const COINBASE_ENDPOINT = 'wss://advanced-trade-ws.coinbase.com';

/** The candles channel has fixed 5-minute buckets only (docs/protocols/coinbase.md A5). */
export const COINBASE_INTERVALS = ['5m'] as const;
export const CANDLE_MS = 300_000;

/** Channels we subscribe to, by our channel name. The level2 channel answers on `l2_data` (A4). */
export const COINBASE_CHANNELS = { quote: 'ticker', trade: 'market_trades', candle: 'candles', book: 'level2' } as const;
export type CoinbaseChannel = (typeof COINBASE_CHANNELS)[keyof typeof COINBASE_CHANNELS];

const PRODUCT_SHAPE = /^[A-Z0-9]{1,15}(-[A-Z0-9]{1,15}){1,3}$/;

/** BTC-USD: base and quote joined by a dash (BTC-PERP-INTX for perpetuals), upper case. */
export function canonicalCoinbaseSymbol(text: string): string {
  const symbol = text.trim().toUpperCase().replace('/', '-');
  if (!PRODUCT_SHAPE.test(symbol)) {
    throw new MarketError('CONFIG', `Coinbase: "${text.trim()}" is not a Coinbase product id; write base-quote with a dash, e.g. BTC-USD`, { provider: 'coinbase' });
  }
  return symbol;
}

export function coinbaseUrl(settings: ProviderSettings): string {
  return settings.endpoint || COINBASE_ENDPOINT;
}
