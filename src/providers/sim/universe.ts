/**
 * What the simulator trades: four US equities with option chains and two crypto pairs.
 * Symbols use the sim's own notation: tickers for stocks, `BTC-USD` for crypto, OCC for options
 * and `SPY*` for a whole option chain.
 */
import type { OptionInfo } from '../../model/events';
import { MarketError } from '../../model/errors';
import { formatOccSymbol, optionInfoFromOcc, parseOccSymbol } from '../../model/occ';
import { addDays, nyDate, nyWallTimeToEpoch, weekday } from '../../model/time';

export interface SimInstrument {
  symbol: string;
  kind: 'equity' | 'crypto';
  /** Starting price. */
  spot: number;
  /** Annualized volatility of the price path. */
  vol: number;
  /** Price step between book levels. */
  step: number;
  decimals: number;
  /** Trade prints per second at rate 1. */
  tradesPerSec: number;
  /** Typical trade size. */
  lot: number;
  /** Exchange codes quotes and prints come from; null = the venue is the exchange (crypto). */
  exchanges: readonly string[] | null;
  /** Strike spacing of its option chain; absent = no options. */
  strikeStep?: number;
}

export const SIM_INSTRUMENTS: readonly SimInstrument[] = [
  { symbol: 'SPY', kind: 'equity', spot: 600, vol: 0.16, step: 0.01, decimals: 2, tradesPerSec: 4, lot: 100, exchanges: ['NYSE', 'NASDAQ', 'ARCA', 'BATS', 'IEX', 'EDGX'], strikeStep: 5 },
  { symbol: 'AAPL', kind: 'equity', spot: 230, vol: 0.28, step: 0.01, decimals: 2, tradesPerSec: 3, lot: 100, exchanges: ['NASDAQ', 'NYSE', 'ARCA', 'BATS', 'IEX', 'EDGX'], strikeStep: 5 },
  { symbol: 'TSLA', kind: 'equity', spot: 350, vol: 0.55, step: 0.01, decimals: 2, tradesPerSec: 3, lot: 50, exchanges: ['NASDAQ', 'NYSE', 'ARCA', 'BATS', 'IEX', 'EDGX'], strikeStep: 10 },
  { symbol: 'NVDA', kind: 'equity', spot: 180, vol: 0.45, step: 0.01, decimals: 2, tradesPerSec: 3, lot: 100, exchanges: ['NASDAQ', 'NYSE', 'ARCA', 'BATS', 'IEX', 'EDGX'], strikeStep: 5 },
  { symbol: 'BTC-USD', kind: 'crypto', spot: 95_000, vol: 0.55, step: 0.5, decimals: 2, tradesPerSec: 5, lot: 0.05, exchanges: null },
  { symbol: 'ETH-USD', kind: 'crypto', spot: 3_500, vol: 0.7, step: 0.05, decimals: 2, tradesPerSec: 4, lot: 0.8, exchanges: null },
];

/** Option exchanges (OPRA participants) prints and quotes come from. */
export const OPTION_EXCHANGES: readonly string[] = ['CBOE', 'C2', 'BZX', 'EDGX', 'ISE', 'GEMX', 'MRX', 'PHLX', 'NOM', 'BX', 'AMEX', 'ARCA', 'BOX', 'MIAX', 'PEARL', 'EMLD'];

export const SIM_INTERVALS: readonly string[] = ['1s', '5s', '15s', '1m', '5m', '15m', '30m', '1h', '4h', '1d'];

const INTERVAL_MS: Readonly<Record<string, number>> = { s: 1_000, m: 60_000, h: 3_600_000, d: 86_400_000 };

export function intervalMs(interval: string): number {
  const match = /^(\d+)([smhd])$/.exec(interval);
  if (!match) throw new RangeError(`bad interval ${interval}`);
  return Number(match[1]) * (INTERVAL_MS[match[2] as string] as number);
}

const bySymbol = new Map(SIM_INSTRUMENTS.map((instrument) => [instrument.symbol, instrument]));

export function simInstrument(symbol: string): SimInstrument | undefined {
  return bySymbol.get(symbol);
}

export interface SimContract {
  symbol: string;
  option: OptionInfo;
  underlying: SimInstrument;
  /** Expiry instant: 16:00 New York on the expiry date. */
  expiresAt: number;
}

/**
 * The canonical sim symbol for user input. Throws MarketError('CONFIG') for symbols the sim
 * does not know, so a typo shows at deploy time.
 */
export function canonicalSimSymbol(text: string): string {
  const trimmed = text.trim().toUpperCase();
  if (trimmed.endsWith('*')) {
    const root = trimmed.slice(0, -1).trim();
    const instrument = bySymbol.get(root);
    if (!instrument?.strikeStep) throw simError(`sim has no option chain for "${root}"; chains: ${chainRoots().join(', ')} (e.g. SPY*)`);
    return `${root}*`;
  }
  const occ = parseOccSymbol(trimmed);
  if (occ) {
    const underlying = optionInfoFromOcc(occ).underlying;
    if (!bySymbol.get(underlying)?.strikeStep) throw simError(`sim has no options on "${underlying}"; it lists options on ${chainRoots().join(', ')}`);
    return formatOccSymbol(occ);
  }
  if (bySymbol.has(trimmed)) return trimmed;
  throw simError(`sim has no symbol "${text.trim()}"; it offers ${SIM_INSTRUMENTS.map((i) => i.symbol).join(', ')}, their option contracts (OCC) and chains like SPY*`);
}

export function contractFor(symbol: string): SimContract | null {
  const parts = parseOccSymbol(symbol);
  if (!parts) return null;
  const option = optionInfoFromOcc(parts);
  const underlying = bySymbol.get(option.underlying);
  if (!underlying) return null;
  return { symbol: formatOccSymbol(parts), option, underlying, expiresAt: nyWallTimeToEpoch(option.expiry, 16) };
}

/** Expiries listed on a day: the next three Fridays after it and the third Friday of the next month. */
export function chainExpiries(epochMs: number): string[] {
  const today = nyDate(epochMs);
  const fridays: string[] = [];
  let day = addDays(today, 1);
  while (fridays.length < 3) {
    if (weekday(day) === 5) fridays.push(day);
    day = addDays(day, 1);
  }
  const [year, month] = today.split('-').map(Number) as [number, number];
  const nextMonth = month === 12 ? `${year + 1}-01-01` : `${year}-${String(month + 1).padStart(2, '0')}-01`;
  let firstFriday = nextMonth;
  while (weekday(firstFriday) !== 5) firstFriday = addDays(firstFriday, 1);
  const monthly = addDays(firstFriday, 14);
  return [...new Set([...fridays, monthly])].sort();
}

/** Listed contracts of an underlying: strikes around `spot`, calls and puts, every expiry. */
export function buildChain(underlying: SimInstrument, spot: number, epochMs: number, strikesEachSide = 6): SimContract[] {
  const step = underlying.strikeStep;
  if (!step) return [];
  const atm = Math.round(spot / step) * step;
  const contracts: SimContract[] = [];
  for (const expiry of chainExpiries(epochMs)) {
    for (let k = -strikesEachSide; k <= strikesEachSide; k++) {
      const strike = atm + k * step;
      for (const right of ['call', 'put'] as const) {
        const symbol = formatOccSymbol({ root: underlying.symbol, expiry, right, strike });
        const contract = contractFor(symbol);
        if (contract) contracts.push(contract);
      }
    }
  }
  return contracts;
}

export function chainRoots(): string[] {
  return SIM_INSTRUMENTS.filter((instrument) => instrument.strikeStep).map((instrument) => instrument.symbol);
}

function simError(message: string): MarketError {
  return new MarketError('CONFIG', message, { provider: 'sim' });
}
