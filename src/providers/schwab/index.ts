/**
 * `schwab`: Charles Schwab Trader API streaming (docs/protocols/schwab.md). Credentials: the app's
 * `clientId` (app key) and `clientSecret`, and a `refreshToken` from the OAuth consent flow
 * (valid 7 days). `restEndpoint` overrides https://api.schwabapi.com (token and user
 * preferences), `endpoint` the streamer URL from the preferences.
 * Options: `refreshTokenIssuedAt` (when you got the refresh token, for the expiry warning) and
 * `equityBook` ("NASDAQ_BOOK" | "NYSE_BOOK", the book service for equities).
 */
import { MarketError } from '../../model/errors';
import { toOccSymbol } from '../../model/occ';
import type { ProviderDefinition, ProviderSettings } from '../../model/provider';
import { webSocketUrlProblem } from '../shared/dxlink/options';
import { SchwabAdapter } from './adapter';
import { SCHWAB_REST } from './rest';
import { issuedAtOption } from './tokens';

const EQUITY_BOOKS = ['NASDAQ_BOOK', 'NYSE_BOOK'] as const;
type EquityBook = (typeof EQUITY_BOOKS)[number];

function equityBookOf(options: Record<string, unknown>): EquityBook {
  const value = options.equityBook ?? 'NASDAQ_BOOK';
  if (!(EQUITY_BOOKS as readonly unknown[]).includes(value)) {
    throw new MarketError('CONFIG', `schwab: options.equityBook must be "NASDAQ_BOOK" or "NYSE_BOOK", got ${JSON.stringify(value)}`, { provider: 'schwab' });
  }
  return value as EquityBook;
}

function restBase(settings: ProviderSettings): string {
  return (settings.restEndpoint || SCHWAB_REST).replace(/\/+$/, '');
}

/** Schwab option keys are OCC symbols with the root padded to six characters (§4.2); equities as typed. */
function canonicalSchwabSymbol(text: string): string {
  const trimmed = text.trim();
  if (!trimmed) throw new MarketError('CONFIG', 'schwab: empty symbol', { provider: 'schwab' });
  if (trimmed.endsWith('*')) throw new MarketError('CONFIG', `schwab: whole option chains (${trimmed}) are not streamed; list the contracts as OCC symbols`, { provider: 'schwab' });
  return toOccSymbol(trimmed) ?? trimmed.toUpperCase();
}

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
  validateSettings(settings) {
    const missing = (['clientId', 'clientSecret', 'refreshToken'] as const).filter((name) => !settings.credentials[name]);
    if (missing.length > 0) {
      return `schwab needs ${missing.join(', ')}: the app key and secret of your app at developer.schwab.com, and a refresh token from its OAuth sign-in (valid 7 days)`;
    }
    try {
      equityBookOf(settings.options);
      issuedAtOption(settings.options, Date.now());
    } catch (err) {
      return err instanceof Error ? err.message : String(err);
    }
    return webSocketUrlProblem('schwab', settings.endpoint);
  },
  create: (context) => new SchwabAdapter(context, { restBase: restBase(context.settings), equityBook: equityBookOf(context.settings.options) }),
};
