/**
 * The provider registry: one line per provider. Planned providers are listed so the editor can
 * show them, but a config node that selects one reports that it is not available yet.
 */
import { simProvider } from './sim';
import { binanceProvider } from './binance';
import { coinbaseProvider } from './coinbase';
import { krakenProvider } from './kraken';
import { tastytradeProvider } from './tastytrade';
import { dxfeedProvider } from './dxfeed';
import { schwabProvider } from './schwab';
import { replayProvider } from './replay';
import type { ProviderDefinition, ProviderId, ProviderInfo } from '../model/provider';

const available: ProviderDefinition[] = [
  simProvider,
  binanceProvider,
  coinbaseProvider,
  krakenProvider,
  tastytradeProvider,
  dxfeedProvider,
  schwabProvider,
  replayProvider,
];

const planned: ReadonlyArray<{ id: ProviderId; label: string }> = [
  { id: 'alpaca', label: 'Alpaca' },
  { id: 'finnhub', label: 'Finnhub' },
  { id: 'polygon', label: 'Polygon' },
  { id: 'thetadata', label: 'Theta Data' },
  { id: 'ibkr', label: 'Interactive Brokers' },
];

const byId = new Map<string, ProviderDefinition>(available.map((definition) => [definition.id, definition]));

/** Registers a provider at run time (tests use this for throw-away providers). Returns an undo function. */
export function registerProvider(definition: ProviderDefinition): () => void {
  const previous = byId.get(definition.id);
  byId.set(definition.id, definition);
  return () => {
    if (previous) byId.set(definition.id, previous);
    else byId.delete(definition.id);
  };
}

export function getProvider(id: string): ProviderDefinition | undefined {
  return byId.get(id);
}

export function isPlannedProvider(id: string): boolean {
  return !byId.has(id) && planned.some((entry) => entry.id === id);
}

/** Everything the editor needs to draw the config dialog: available providers first, then planned ones. */
export function describeProviders(): ProviderInfo[] {
  const infos: ProviderInfo[] = [...byId.values()].map(toInfo);
  for (const entry of planned) {
    if (byId.has(entry.id)) continue;
    infos.push({
      id: entry.id,
      label: entry.label,
      status: 'planned',
      channels: [],
      intervals: [],
      fields: { endpoint: false, restEndpoint: false, options: false },
      credentials: [],
      defaultEndpoint: '',
      defaultRestEndpoint: '',
      exampleSymbols: '',
      chainSubscriptions: false,
    });
  }
  return infos;
}

function toInfo(definition: ProviderDefinition): ProviderInfo {
  const { id, label, status, channels, intervals, fields, credentials, defaultEndpoint, defaultRestEndpoint, exampleSymbols, chainSubscriptions } = definition;
  return { id, label, status, channels, intervals, fields, credentials, defaultEndpoint, defaultRestEndpoint, exampleSymbols, chainSubscriptions };
}
