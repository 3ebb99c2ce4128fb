/** Schwab's REST base, options and settings check (docs/protocols/schwab.md §1). */
import { MarketError } from '../../model/errors';
import type { ProviderSettings } from '../../model/provider';
import { webSocketUrlProblem } from '../shared/settings';
import { issuedAtOption } from './auth';
import { SCHWAB_REST } from './rest';

const EQUITY_BOOKS = ['NASDAQ_BOOK', 'NYSE_BOOK'] as const;
export type EquityBook = (typeof EQUITY_BOOKS)[number];

export function equityBookOf(options: Record<string, unknown>): EquityBook {
  const value = options.equityBook ?? 'NASDAQ_BOOK';
  if (!(EQUITY_BOOKS as readonly unknown[]).includes(value)) {
    throw new MarketError('CONFIG', `schwab: options.equityBook must be "NASDAQ_BOOK" or "NYSE_BOOK", got ${JSON.stringify(value)}`, { provider: 'schwab' });
  }
  return value as EquityBook;
}

export function restBase(settings: ProviderSettings): string {
  return (settings.restEndpoint || SCHWAB_REST).replace(/\/+$/, '');
}

export function validateSchwabSettings(settings: ProviderSettings): string | null {
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
}
