/**
 * Kraken Spot WebSocket v2: endpoints, v2 pair names, intervals, book depths.
 * Protocol facts: docs/protocols/kraken.md.
 */
import { MarketError } from '../../model/errors';
import type { ProviderSettings } from '../../model/provider';

export const KRAKEN_FEEDS: Readonly<Record<string, string>> = {
  production: 'wss://ws.kraken.com/v2',
  beta: 'wss://beta-ws.kraken.com/v2',
};
export const KRAKEN_FEED_NAMES = Object.keys(KRAKEN_FEEDS);

/** Our interval names → the `interval` parameter of the ohlc channel (minutes, docs/protocols/kraken.md §3). */
export const KRAKEN_INTERVAL_MINUTES: Readonly<Record<string, number>> = {
  '1m': 1, '5m': 5, '15m': 15, '30m': 30, '1h': 60, '4h': 240, '1d': 1440, '1w': 10080, '15d': 21600,
};
export const KRAKEN_INTERVALS = Object.keys(KRAKEN_INTERVAL_MINUTES);

/** Depths the book channel accepts. */
export const KRAKEN_BOOK_DEPTHS = [10, 25, 100, 500, 1000] as const;

/** The smallest book depth Kraken offers that holds `wanted` levels. */
export function krakenBookDepth(wanted: number): number {
  return KRAKEN_BOOK_DEPTHS.find((depth) => depth >= wanted) ?? 1000;
}

const PAIR_SHAPE = /^[A-Z0-9.]{1,16}\/[A-Z0-9.]{1,16}$/;

/** BTC/USD: v2 names use ISO codes and a slash (v1's XBT/USD is refused by v2). */
export function canonicalKrakenSymbol(text: string): string {
  const symbol = text.trim().toUpperCase();
  if (!PAIR_SHAPE.test(symbol)) {
    const guess = symbol.replace(/[-_ ]/, '/');
    const hint = PAIR_SHAPE.test(guess) ? `write it ${guess}` : 'write base/quote, e.g. BTC/USD';
    throw new MarketError('CONFIG', `Kraken: "${text.trim()}" is not a Kraken v2 pair name; ${hint}`, { provider: 'kraken' });
  }
  return symbol;
}

export function krakenUrl(settings: ProviderSettings): string {
  if (settings.endpoint) return settings.endpoint;
  const url = KRAKEN_FEEDS[settings.feed || 'production'];
  if (!url) throw new MarketError('CONFIG', `Kraken: feed must be one of ${KRAKEN_FEED_NAMES.join(', ')}, got "${settings.feed}"`, { provider: 'kraken' });
  return url;
}
