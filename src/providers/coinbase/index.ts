/**
 * `coinbase`: Coinbase Advanced Trade market data. Quotes from ticker, trades from market_trades,
 * 5-minute candles from candles, books from level2 (`l2_data`). Public data needs no account;
 * with a CDP API key (name + private key) every subscribe carries a JWT, which Coinbase
 * recommends for the most reliable connection.
 */
import type { ProviderDefinition } from '../../model/provider';
import { CoinbaseAdapter } from './adapter';
import { DEFAULT_COINBASE_TUNING, type CoinbaseTuning } from './limits';
import { COINBASE_ENDPOINT, COINBASE_INTERVALS, canonicalCoinbaseSymbol } from './settings';
import { createJwtSigner } from './auth';

export function createCoinbaseProvider(tuning: Partial<CoinbaseTuning> = {}): ProviderDefinition {
  const effective: CoinbaseTuning = { ...DEFAULT_COINBASE_TUNING, ...tuning };
  return {
    id: 'coinbase',
    label: 'Coinbase Advanced Trade',
    status: 'available',
    channels: ['quote', 'trade', 'candle', 'book'],
    intervals: COINBASE_INTERVALS,
    fields: { endpoint: true, restEndpoint: false, options: false },
    credentials: [
      { name: 'apiKey', required: false, label: 'API key name (organizations/…/apiKeys/…)' },
      { name: 'apiSecret', required: false, label: 'API key private key' },
    ],
    defaultEndpoint: COINBASE_ENDPOINT,
    defaultRestEndpoint: '',
    exampleSymbols: 'BTC-USD, ETH-USD',
    chainSubscriptions: false,
    canonicalSymbol: canonicalCoinbaseSymbol,
    validateSettings(settings) {
      const { apiKey, apiSecret } = settings.credentials;
      if (settings.endpoint && !/^wss?:\/\//.test(settings.endpoint)) return `Coinbase: the endpoint must start with ws:// or wss://, got "${settings.endpoint}"`;
      if (!apiKey && !apiSecret) return null;
      if (!apiKey || !apiSecret) return 'Coinbase: give both the API key name and its private key, or neither (market data works without an account)';
      try {
        createJwtSigner(apiKey, apiSecret);
        return null;
      } catch (err) {
        return err instanceof Error ? err.message : String(err);
      }
    },
    create: (context) => new CoinbaseAdapter(context, effective),
  };
}

export const coinbaseProvider = createCoinbaseProvider();
export type { CoinbaseTuning } from './limits';
