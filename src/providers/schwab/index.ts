/**
 * `schwab`: Charles Schwab Trader API streaming (docs/protocols/schwab.md). Credentials: the app's
 * `clientId` (app key) and `clientSecret`, and a `refreshToken` from the OAuth consent flow
 * (valid 7 days). `restEndpoint` overrides https://api.schwabapi.com (token and user
 * preferences), `endpoint` the streamer URL from the preferences.
 * Options: `refreshTokenIssuedAt` (when you got the refresh token, for the expiry warning) and
 * `equityBook` ("NASDAQ_BOOK" | "NYSE_BOOK", the book service for equities).
 */
import type { ProviderDefinition } from '../../model/provider';
import { SchwabAdapter } from './adapter';
import { SCHWAB_REST } from './rest';
import { equityBookOf, restBase, validateSchwabSettings } from './settings';
import { canonicalSchwabSymbol } from './symbols';

export const schwabProvider: ProviderDefinition = {
  id: 'schwab',
  label: 'Charles Schwab',
  status: 'available',
  channels: ['quote', 'trade', 'candle', 'book', 'greeks', 'summary'],
  intervals: ['1m'],
  fields: { endpoint: true, restEndpoint: true, options: true },
  credentials: [
    { name: 'clientId', required: true, label: 'App key (client id)' },
    { name: 'clientSecret', required: true, label: 'App secret' },
    { name: 'refreshToken', required: true, label: 'Refresh token (7 days)' },
  ],
  defaultEndpoint: '(from user preferences)',
  defaultRestEndpoint: SCHWAB_REST,
  exampleSymbols: 'SPY, AAPL  250117C00150000',
  chainSubscriptions: false,
  canonicalSymbol: canonicalSchwabSymbol,
  validateSettings: validateSchwabSettings,
  create: (context) => new SchwabAdapter(context, { restBase: restBase(context.settings), equityBook: equityBookOf(context.settings.options) }),
};
