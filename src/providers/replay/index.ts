/**
 * `replay`: plays a market-record recording (NDJSON, plain or gzip) through the same nodes as a
 * live feed. Options: `file` (required), `speed` (1, N or "max"), `loop` (false).
 */
import { CHANNELS } from '../../model/events';
import type { ProviderDefinition } from '../../model/provider';
import { canonicalSymbol } from '../../model/symbols';
import { ReplayAdapter } from './adapter';
import { replaySettingsProblem } from './settings';

export const replayProvider: ProviderDefinition = {
  id: 'replay',
  label: 'Replay (NDJSON recording)',
  status: 'available',
  channels: CHANNELS,
  intervals: ['1s', '5s', '1m', '5m', '15m', '1h', '1d'],
  fields: { endpoint: false, restEndpoint: false, options: true },
  credentials: [],
  defaultEndpoint: '',
  defaultRestEndpoint: '',
  exampleSymbols: 'the recording\'s symbols, e.g. SPY*, BTC-USD',
  chainSubscriptions: true,
  canonicalSymbol(text) {
    const trimmed = text.trim().toUpperCase();
    return trimmed.endsWith('*') ? `${trimmed.slice(0, -1).trim()}*` : canonicalSymbol(trimmed);
  },
  validateSettings: (settings) => replaySettingsProblem(settings.options),
  create: (context) => new ReplayAdapter(context),
};
