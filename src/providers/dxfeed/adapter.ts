/** One DXLink stream to the configured endpoint, with the token when one is set (none for the demo). */
import type { AdapterContext, ProviderAdapter } from '../../model/provider';
import type { DxlinkTuning } from '../shared/dxlink/limits';
import { parseDxlinkOptions } from '../shared/dxlink/settings';
import { DxlinkStream, dxlinkAdapter } from '../shared/dxlink/stream';
import { DXFEED_DEMO_ENDPOINT } from './settings';

export function createDxfeedAdapter(context: AdapterContext, tuning: DxlinkTuning = {}): ProviderAdapter {
  const { tradeEvent } = parseDxlinkOptions('dxfeed', context.settings.options);
  const token = context.settings.credentials.token;
  const url = context.settings.endpoint || DXFEED_DEMO_ENDPOINT;
  return dxlinkAdapter(new DxlinkStream({ provider: 'dxfeed', context, tradeEvent, tuning, access: async () => (token ? { url, token } : { url }) }));
}
