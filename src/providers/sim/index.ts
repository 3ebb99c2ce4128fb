/**
 * `sim`: the built-in simulator. No account, no network; deterministic for a given seed.
 * Options (the config node's `options` JSON): `seed` (whole number, default 1) and `rate`
 * (event frequency multiplier, default 1, or "max" for benchmarks).
 */
import { CHANNELS } from '../../model/events';
import type { ProviderDefinition } from '../../model/provider';
import { SimAdapter, parseSimOptions } from './adapter';
import { SIM_INTERVALS, canonicalSimSymbol } from './universe';

export const simProvider: ProviderDefinition = {
  id: 'sim',
  label: 'Simulator (built-in, no account)',
  status: 'available',
  channels: CHANNELS,
  intervals: SIM_INTERVALS,
  fields: { endpoint: false, restEndpoint: false, options: true },
  credentials: [],
  defaultEndpoint: '',
  defaultRestEndpoint: '',
  exampleSymbols: 'BTC-USD, AAPL, SPY*',
  chainSubscriptions: true,
  canonicalSymbol: canonicalSimSymbol,
  validateSettings(settings) {
    try {
      parseSimOptions(settings.options);
      return null;
    } catch (err) {
      return err instanceof Error ? err.message : String(err);
    }
  },
  create: (context) => new SimAdapter(context),
};

export { SIM_INSTRUMENTS, buildChain, chainExpiries } from './universe';
