/**
 * OAuth → quote token → DXLink (docs/protocols/dxlink-tastytrade.md §2): the token chain of
 * auth.ts feeds one shared DXLink stream; a renewed quote token is used from the next connection.
 */
import type { AdapterContext, ProviderAdapter } from '../../model/provider';
import { parseDxlinkOptions } from '../shared/dxlink/settings';
import { DxlinkStream, dxlinkAdapter } from '../shared/dxlink/stream';
import type { DxlinkTuning } from '../shared/dxlink/limits';
import { TastytradeTokens } from './auth';
import { restBase } from './settings';

export function createTastytradeAdapter(context: AdapterContext, tuning: DxlinkTuning = {}): ProviderAdapter {
  const { settings } = context;
  const { tradeEvent } = parseDxlinkOptions('tastytrade', settings.options);
  const tokens = new TastytradeTokens({
    context,
    restBase: restBase(settings),
    clientSecret: settings.credentials.clientSecret ?? '',
    refreshToken: settings.credentials.refreshToken ?? '',
    onRefreshRefused: (error) => {
      // The stream keeps running on its quote token, but it cannot be renewed: say so now.
      context.setState({ state: 'error', detail: error.message, error });
    },
  });
  // Every connection attempt asks for the quote token: a renewed one is used from the next connection on.
  const stream = new DxlinkStream({
    tuning,
    provider: 'tastytrade',
    context,
    tradeEvent,
    access: async () => {
      const quote = await tokens.quoteToken();
      return { url: settings.endpoint || quote.dxlinkUrl, token: quote.token };
    },
    onTokenRejected: () => tokens.forgetQuoteToken(),
  });
  return dxlinkAdapter(stream, { stop: () => tokens.stop(), stats: () => ({ ...tokens.counters }) });
}
