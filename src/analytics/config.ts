/**
 * The analytics nodes' editor settings → core settings. Field names are the nodes' config
 * names (public: saved flows use them). Values arrive as numbers or strings (an emptied field is
 * ""): empty means the default; every bad value is a MarketError('CONFIG') that names the field
 * and what it accepts.
 */
import { MarketError } from '../model/errors';
import { BOOK_SETTINGS_DEFAULTS, type BookSettings } from './book-metrics';
import { FLOW_SETTINGS_DEFAULTS, type FlowSettings } from './flow-classifier';
import { SIGNAL_DEFAULT_THRESHOLDS, SIGNAL_METHODS, SIGNAL_SETTINGS_DEFAULTS, SIGNAL_SOURCES, type SignalSettings } from './momentum';

type Raw = Record<string, unknown>;

/** market-flow-classify: windowMs, blockMinSize, blockMinPremiumUsd, whaleMinPremiumUsd, atmBandPct, statsEveryS, statsWindowS, topContracts. */
export function parseFlowConfig(raw: Raw): FlowSettings {
  const d = FLOW_SETTINGS_DEFAULTS;
  return {
    windowMs: readNumber(raw.windowMs, { label: 'Window (windowMs)', fallback: d.windowMs, min: 1, max: 60_000, hint: 'milliseconds' }),
    blockMinSize: readNumber(raw.blockMinSize, { label: 'Block size (blockMinSize)', fallback: d.blockMinSize, min: 1, hint: 'contracts' }),
    blockMinPremiumUsd: readNumber(raw.blockMinPremiumUsd, { label: 'Block premium (blockMinPremiumUsd)', fallback: d.blockMinPremiumUsd, min: 1, hint: 'USD' }),
    whaleMinPremiumUsd: readNumber(raw.whaleMinPremiumUsd, { label: 'Whale premium (whaleMinPremiumUsd)', fallback: d.whaleMinPremiumUsd, min: 1, hint: 'USD' }),
    atmBandPct: readNumber(raw.atmBandPct, { label: 'ATM band (atmBandPct)', fallback: d.atmBandPct, min: 0, max: 50, hint: 'percent of the strike' }),
    statsEveryMs: readNumber(raw.statsEveryS, { label: 'Stats every (statsEveryS)', fallback: d.statsEveryMs / 1000, min: 0, max: 86_400, hint: 'seconds (0 = off)' }) * 1000,
    statsWindowMs: readNumber(raw.statsWindowS, { label: 'Stats window (statsWindowS)', fallback: d.statsWindowMs / 1000, min: 1, max: 86_400, hint: 'seconds' }) * 1000,
    topContracts: readNumber(raw.topContracts, { label: 'Top contracts (topContracts)', fallback: d.topContracts, min: 0, max: 100, integer: true }),
  };
}

/** market-book-analytics: levels, bandBps, rateMs, spreadBpsAlert, imbalanceAlert, hysteresis, cooldownS. */
export function parseBookConfig(raw: Raw): BookSettings {
  const d = BOOK_SETTINGS_DEFAULTS;
  return {
    levels: readNumber(raw.levels, { label: 'Levels (levels)', fallback: d.levels, min: 1, max: 1000, integer: true }),
    bandBps: readNumber(raw.bandBps, { label: 'Depth band (bandBps)', fallback: d.bandBps, min: 0, max: 10_000, hint: 'basis points of mid' }),
    rateMs: readNumber(raw.rateMs, { label: 'Rate (rateMs)', fallback: d.rateMs, min: 0, hint: 'milliseconds (0 = every book)' }),
    spreadBpsAlert: readNumber(raw.spreadBpsAlert, { label: 'Spread alert (spreadBpsAlert)', fallback: d.spreadBpsAlert, min: 0, hint: 'basis points (0 = off)' }),
    imbalanceAlert: readNumber(raw.imbalanceAlert, { label: 'Imbalance alert (imbalanceAlert)', fallback: d.imbalanceAlert, min: 0, max: 0.999, hint: '(0 = off; |imbalance| never exceeds 1)' }),
    hysteresis: readNumber(raw.hysteresis, { label: 'Hysteresis (hysteresis)', fallback: d.hysteresis, min: 0, max: 1, hint: '(fraction of the threshold, 0.2 = 20 %)' }),
    cooldownMs: readNumber(raw.cooldownS, { label: 'Cooldown (cooldownS)', fallback: d.cooldownMs / 1000, min: 0, hint: 'seconds' }) * 1000,
  };
}

/** market-signal: method, source, barS, lookback, fast, slow, threshold, hysteresis, cooldownS, warmup. */
export function parseSignalConfig(raw: Raw): SignalSettings {
  const d = SIGNAL_SETTINGS_DEFAULTS;
  const method = readChoice(raw.method, 'Method (method)', SIGNAL_METHODS, d.method);
  const settings: SignalSettings = {
    method,
    source: readChoice(raw.source, 'Prices from (source)', SIGNAL_SOURCES, d.source),
    barMs: readNumber(raw.barS, { label: 'Bar (barS)', fallback: d.barMs / 1000, min: 0.01, max: 86_400, hint: 'seconds' }) * 1000,
    lookback: readNumber(raw.lookback, { label: 'Lookback (lookback)', fallback: d.lookback, min: 2, max: 10_000, integer: true, hint: 'bars' }),
    fast: readNumber(raw.fast, { label: 'Fast EMA (fast)', fallback: d.fast, min: 1, max: 10_000, integer: true, hint: 'bars' }),
    slow: readNumber(raw.slow, { label: 'Slow EMA (slow)', fallback: d.slow, min: 2, max: 10_000, integer: true, hint: 'bars' }),
    threshold: readNumber(raw.threshold, { label: 'Threshold (threshold)', fallback: SIGNAL_DEFAULT_THRESHOLDS[method], min: 0 }),
    hysteresis: readNumber(raw.hysteresis, { label: 'Hysteresis (hysteresis)', fallback: d.hysteresis, min: 0, max: 1, hint: '(fraction of the threshold, 0.2 = 20 %)' }),
    cooldownMs: readNumber(raw.cooldownS, { label: 'Cooldown (cooldownS)', fallback: d.cooldownMs / 1000, min: 0, hint: 'seconds' }) * 1000,
    warmupBars: readNumber(raw.warmup, { label: 'Warm-up (warmup)', fallback: d.warmupBars, min: 0, max: 100_000, integer: true, hint: 'bars (0 = what the method needs)' }),
  };
  if (method === 'ema' && settings.fast >= settings.slow) {
    throw new MarketError('CONFIG', `Fast EMA (fast) must be shorter than Slow EMA (slow), got fast ${settings.fast} and slow ${settings.slow}`);
  }
  return settings;
}

interface NumberField {
  /** The field's name in the editor, as the user reads it. */
  label: string;
  fallback: number;
  min: number;
  max?: number;
  integer?: boolean;
  /** Text appended to the error, e.g. "(0 = off)". */
  hint?: string;
}

/** A number from a config value: empty or missing gives the fallback; anything else must parse and fit. */
function readNumber(value: unknown, field: NumberField): number {
  if (value === undefined || value === null || (typeof value === 'string' && value.trim() === '')) return field.fallback;
  const number = typeof value === 'number' ? value : typeof value === 'string' ? Number(value.trim()) : Number.NaN;
  const fits = Number.isFinite(number) && number >= field.min && (field.max === undefined || number <= field.max) && (!field.integer || Number.isInteger(number));
  if (!fits) {
    const kind = field.integer ? 'a whole number' : 'a number';
    const range = field.max === undefined ? `≥ ${field.min}` : `from ${field.min} to ${field.max}`;
    throw new MarketError('CONFIG', `${field.label} must be ${kind} ${range}${field.hint ? ` ${field.hint}` : ''}, got ${JSON.stringify(value)}`);
  }
  return number;
}

/** One of a fixed list of strings; empty or missing gives the fallback. */
function readChoice<T extends string>(value: unknown, label: string, choices: readonly T[], fallback: T): T {
  if (value === undefined || value === null || value === '') return fallback;
  if (typeof value === 'string' && (choices as readonly string[]).includes(value)) return value as T;
  throw new MarketError('CONFIG', `${label} must be one of ${choices.join(', ')}, got ${JSON.stringify(value)}`);
}
