/**
 * `dxfeed`: a DXLink WebSocket endpoint of the user's choice (docs/protocols/dxlink-tastytrade.md §1, §3), with an
 * optional token; the public demo endpoint (delayed data, no token) by default.
 * Options: `tradeEvent` ("Trade" | "TimeAndSale").
 */
import type { ProviderDefinition } from '../../model/provider';
import type { DxlinkTuning } from '../shared/dxlink/limits';
import { DXLINK_INTERVALS, canonicalDxlinkSymbol } from '../shared/dxlink/symbols';
import { createDxfeedAdapter } from './adapter';
import { DXFEED_DEMO_ENDPOINT, validateDxfeedSettings } from './settings';

export function createDxfeedProvider(tuning: DxlinkTuning = {}): ProviderDefinition {
  return {
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
    validateSettings: validateDxfeedSettings,
    create: (context) => createDxfeedAdapter(context, tuning),
  };
}

export const dxfeedProvider = createDxfeedProvider();
