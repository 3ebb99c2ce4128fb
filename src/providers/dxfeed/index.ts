/**
 * `dxfeed`: a DXLink WebSocket endpoint of the user's choice (docs/protocols/dxlink-tastytrade.md §1, §3), with an
 * optional token; the public demo endpoint (delayed data, no token) by default.
 * Options: `tradeEvent` ("Trade" | "TimeAndSale").
 */
import type { ProviderAdapter, ProviderDefinition } from '../../model/provider';
import { parseDxlinkOptions, webSocketUrlProblem } from '../shared/dxlink/options';
import { DxlinkStream } from '../shared/dxlink/stream';
import { DXLINK_INTERVALS, canonicalDxlinkSymbol } from '../shared/dxlink/symbols';

export const DXFEED_DEMO_ENDPOINT = 'wss://demo.dxfeed.com/dxlink-ws';

export const dxfeedProvider: ProviderDefinition = {
  id: 'dxfeed',
  label: 'dxFeed (DXLink)',
  status: 'available',
  channels: ['quote', 'trade', 'candle', 'greeks', 'summary'],
  intervals: DXLINK_INTERVALS,
  fields: { endpoint: true, restEndpoint: false, options: true },
  credentials: [{ name: 'token', required: false, label: 'Token (empty for the demo)' }],
  defaultEndpoint: DXFEED_DEMO_ENDPOINT,
  defaultRestEndpoint: '',
  exampleSymbols: 'AAPL, SPY, .AAPL250117C150',
  chainSubscriptions: false,
  canonicalSymbol: (text) => canonicalDxlinkSymbol('dxfeed', text),
  validateSettings(settings) {
    try {
      parseDxlinkOptions('dxfeed', settings.options);
    } catch (err) {
      return err instanceof Error ? err.message : String(err);
    }
    return webSocketUrlProblem('dxfeed', settings.endpoint);
  },
  create(context): ProviderAdapter {
    const { tradeEvent } = parseDxlinkOptions('dxfeed', context.settings.options);
    const token = context.settings.credentials.token;
    const url = context.settings.endpoint || DXFEED_DEMO_ENDPOINT;
    const stream = new DxlinkStream({ provider: 'dxfeed', context, tradeEvent, access: async () => (token ? { url, token } : { url }) });
    return {
      start: () => stream.start(),
      subscribe: (subs) => stream.subscribe(subs),
      unsubscribe: (subs) => stream.unsubscribe(subs),
      stop: () => stream.stop(),
      stats: () => stream.stats(),
    };
  },
};
