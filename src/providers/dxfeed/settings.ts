/** dxfeed's endpoint and settings check (docs/protocols/dxlink-tastytrade.md §1). */
import type { ProviderSettings } from '../../model/provider';
import { dxlinkSettingsProblem } from '../shared/dxlink/settings';

export const DXFEED_DEMO_ENDPOINT = 'wss://demo.dxfeed.com/dxlink-ws';

export function validateDxfeedSettings(settings: ProviderSettings): string | null {
  return dxlinkSettingsProblem('dxfeed', settings);
}
