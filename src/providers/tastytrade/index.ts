/**
 * `tastytrade`: quotes, trades, candles, greeks and summaries over DXLink (
 * docs/protocols/dxlink-tastytrade.md). Credentials: `clientSecret` and `refreshToken` of a tastytrade OAuth
 * application → access token (POST /oauth/token) → quote token and DXLink URL
 * (GET /api-quote-tokens) → DXLink. `feed` picks `live` or `sandbox` (the cert environment);
 * `restEndpoint` and `endpoint` override the REST base and the DXLink URL.
 * Options: `tradeEvent` ("Trade" | "TimeAndSale").
 */
import type { ProviderAdapter, ProviderDefinition, ProviderSettings } from '../../model/provider';
import { parseDxlinkOptions, webSocketUrlProblem } from '../shared/dxlink/options';
import { DxlinkStream } from '../shared/dxlink/stream';
import { DXLINK_INTERVALS, canonicalDxlinkSymbol } from '../shared/dxlink/symbols';
import { TASTYTRADE_REST } from './rest';
import { TastytradeTokens } from './tokens';

const FEEDS = ['live', 'sandbox'] as const;

function restBase(settings: ProviderSettings): string {
  if (settings.restEndpoint) return settings.restEndpoint.replace(/\/+$/, '');
  return settings.feed === 'sandbox' ? TASTYTRADE_REST.sandbox : TASTYTRADE_REST.live;
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
  validateSettings(settings) {
    const missing = (['clientSecret', 'refreshToken'] as const).filter((name) => !settings.credentials[name]);
    if (missing.length > 0) {
      return `tastytrade needs the ${missing.join(' and ')} of your tastytrade OAuth application (tastytrade.com → My Profile → API → OAuth Applications: create one, save its client secret, then "Create Grant" for a refresh token)`;
    }
    if (settings.feed && !(FEEDS as readonly string[]).includes(settings.feed)) return `tastytrade: feed must be live or sandbox, got "${settings.feed}"`;
    try {
      parseDxlinkOptions('tastytrade', settings.options);
    } catch (err) {
      return err instanceof Error ? err.message : String(err);
    }
    return webSocketUrlProblem('tastytrade', settings.endpoint);
  },
  create(context): ProviderAdapter {
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
    const live = stream;
    return {
      start: () => live.start(),
      subscribe: (subs) => live.subscribe(subs),
      unsubscribe: (subs) => live.unsubscribe(subs),
      async stop() {
        tokens.stop();
        await live.stop();
      },
      stats: () => ({ ...live.stats(), ...tokens.counters }),
    };
  },
};
