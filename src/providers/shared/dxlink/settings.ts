/** Settings shared by the DXLink providers: the config node's `options` JSON and the checks both run. */
import { MarketError } from '../../../model/errors';
import type { ProviderSettings } from '../../../model/provider';
import { webSocketUrlProblem } from '../settings';
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

/** What is wrong with a DXLink provider's options or stream URL, or null. */
export function dxlinkSettingsProblem(provider: string, settings: ProviderSettings): string | null {
  try {
    parseDxlinkOptions(provider, settings.options);
  } catch (err) {
    return err instanceof Error ? err.message : String(err);
  }
  return webSocketUrlProblem(provider, settings.endpoint);
}
