/** tastytrade's endpoints, feeds and settings check (docs/protocols/dxlink-tastytrade.md §1, §2). */
import type { ProviderSettings } from '../../model/provider';
import { dxlinkSettingsProblem } from '../shared/dxlink/settings';
import { TASTYTRADE_REST } from './rest';

export const FEEDS = ['live', 'sandbox'] as const;

/** The REST base: `restEndpoint` when set, else the live or sandbox host of `feed`. */
export function restBase(settings: ProviderSettings): string {
  if (settings.restEndpoint) return settings.restEndpoint.replace(/\/+$/, '');
  return settings.feed === 'sandbox' ? TASTYTRADE_REST.sandbox : TASTYTRADE_REST.live;
}

export function validateTastytradeSettings(settings: ProviderSettings): string | null {
  const missing = (['clientSecret', 'refreshToken'] as const).filter((name) => !settings.credentials[name]);
  if (missing.length > 0) {
    return `tastytrade needs the ${missing.join(' and ')} of your tastytrade OAuth application (tastytrade.com → My Profile → API → OAuth Applications: create one, save its client secret, then "Create Grant" for a refresh token)`;
  }
  if (settings.feed && !(FEEDS as readonly string[]).includes(settings.feed)) return `tastytrade: feed must be live or sandbox, got "${settings.feed}"`;
  return dxlinkSettingsProblem('tastytrade', settings);
}
