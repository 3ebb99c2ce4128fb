/**
 * `tastytrade`: quotes, trades, candles, greeks and summaries over DXLink (
 * docs/protocols/dxlink-tastytrade.md). Credentials: `clientSecret` and `refreshToken` of a tastytrade OAuth
 * application → access token (POST /oauth/token) → quote token and DXLink URL
 * (GET /api-quote-tokens) → DXLink. `feed` picks `live` or `sandbox` (the cert environment);
 * `restEndpoint` and `endpoint` override the REST base and the DXLink URL.
 * Options: `tradeEvent` ("Trade" | "TimeAndSale").
 */
import type { ProviderDefinition } from '../../model/provider';
import type { DxlinkTuning } from '../shared/dxlink/limits';
import { DXLINK_INTERVALS, canonicalDxlinkSymbol } from '../shared/dxlink/symbols';
import { createTastytradeAdapter } from './adapter';
import { TASTYTRADE_REST } from './rest';
import { FEEDS, validateTastytradeSettings } from './settings';

/** The definition, with a tuned DXLink socket (tests, benches). */
export function createTastytradeProvider(tuning: DxlinkTuning = {}): ProviderDefinition {
  return { ...tastytradeProvider, create: (context) => createTastytradeAdapter(context, tuning) };
}

export const tastytradeProvider: ProviderDefinition = {
  id: 'tastytrade',
  label: 'tastytrade (DXLink)',
  status: 'available',
  channels: ['quote', 'trade', 'candle', 'greeks', 'summary'],
  intervals: DXLINK_INTERVALS,
  fields: { endpoint: true, restEndpoint: true, feed: FEEDS, options: true },
  credentials: [
    { name: 'clientSecret', required: true, label: 'Client secret' },
    { name: 'refreshToken', required: true, label: 'Refresh token' },
  ],
  defaultEndpoint: '(from /api-quote-tokens)',
  defaultRestEndpoint: TASTYTRADE_REST.live,
  exampleSymbols: 'SPY, AAPL  250117C00150000, .SPY250620P450',
  chainSubscriptions: false,
  canonicalSymbol: (text) => canonicalDxlinkSymbol('tastytrade', text),
  validateSettings: validateTastytradeSettings,
  create: createTastytradeAdapter,
};
