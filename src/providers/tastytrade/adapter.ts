/**
 * OAuth → quote token → DXLink (docs/protocols/dxlink-tastytrade.md §2): the token chain of
 * auth.ts feeds one shared DXLink stream; a renewed quote token is used from its next connection.
 */
import type { AdapterContext, ProviderAdapter } from '../../model/provider';
import { parseDxlinkOptions } from '../shared/dxlink/settings';
import { DxlinkStream, dxlinkAdapter } from '../shared/dxlink/stream';
import { TastytradeTokens } from './auth';
import { restBase } from './settings';

export function createTastytradeAdapter(context: AdapterContext): ProviderAdapter {
  const { settings } = context;
  const { tradeEvent } = parseDxlinkOptions('tastytrade', settings.options);
  let stream: DxlinkStream | null = null;
  const tokens = new TastytradeTokens({
    context,
    restBase: restBase(settings),
    clientSecret: settings.credentials.clientSecret ?? '',
    refreshToken: settings.credentials.refreshToken ?? '',
    onQuoteTokenRenewed: (quote) => stream?.renewToken(quote.token),
    onRefreshRefused: (error) => {
      // The stream keeps running on its quote token, but it cannot be renewed: say so now.
      context.setState({ state: 'error', detail: error.message, error });
    },
  });
  stream = new DxlinkStream({
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
