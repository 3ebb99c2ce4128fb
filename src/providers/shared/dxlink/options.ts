/** Options (the config node's `options` JSON) shared by the DXLink providers. */
import { MarketError } from '../../../model/errors';
import type { TradeEventType } from './stream';

export interface DxlinkOptions {
  /** `Trade` (last sale, server-aggregated per 0.1 s) or `TimeAndSale` (every print, with aggressor side). */
  tradeEvent: TradeEventType;
}

export function parseDxlinkOptions(provider: string, options: Record<string, unknown>): DxlinkOptions {
  const tradeEvent = options.tradeEvent ?? 'Trade';
  if (tradeEvent !== 'Trade' && tradeEvent !== 'TimeAndSale') {
    throw new MarketError('CONFIG', `${provider}: options.tradeEvent must be "Trade" (last sale) or "TimeAndSale" (every print), got ${JSON.stringify(tradeEvent)}`, { provider });
  }
  return { tradeEvent };
}

/** A message saying what is wrong with a WebSocket URL override, or null. */
export function webSocketUrlProblem(provider: string, url: string): string | null {
  if (!url) return null;
  try {
    const protocol = new URL(url).protocol;
    return protocol === 'ws:' || protocol === 'wss:' ? null : `${provider}: the stream URL must start with wss:// (or ws://), got ${protocol}`;
  } catch {
    return `${provider}: the stream URL is not a URL; leave it empty for the default`;
  }
}
