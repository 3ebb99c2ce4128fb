/** Rounding and short number formats for analytics results and their explanations. */

/** Rounds to a number of decimals (half away from zero is not needed: inputs are prices and sizes). */
export function roundTo(value: number, decimals: number): number {
  const factor = 10 ** decimals;
  return Math.round(value * factor) / factor;
}

/** 10^k for k from −30 to 30: exact for |k| ≤ 22, the nearest double beyond. */
const POWERS_OF_TEN = Array.from({ length: 61 }, (_, i) => Number(`1e${i - 30}`));

/**
 * Twelve significant digits: removes binary noise from sums and differences of decimal prices
 * (0.1 + 0.2 = 0.30000000000000004 → 0.3) without assuming a tick size. Same result as
 * Number(value.toPrecision(12)), at a fraction of its cost: the scaled value stays below 2^53, so
 * rounding it and dividing by an exact power of ten gives the nearest double to the decimal.
 */
export function tidy(value: number): number {
  if (value === 0 || !Number.isFinite(value)) return value;
  const digits = 12 - Math.ceil(Math.log10(Math.abs(value)));
  if (digits < -22 || digits > 22) return Number(value.toPrecision(12));
  return digits >= 0 ? Math.round(value * (POWERS_OF_TEN[digits + 30] as number)) / (POWERS_OF_TEN[digits + 30] as number) : Math.round(value / (POWERS_OF_TEN[30 - digits] as number)) * (POWERS_OF_TEN[30 - digits] as number);
}

/**
 * Rounds a difference of prices at the prices' own precision (twelve significant digits of
 * `scale`): 3500.05 − 3500 = 0.0500000000001819 → 0.05, where `tidy` alone would keep the noise.
 */
export function tidyAt(value: number, scale: number): number {
  if (value === 0 || !Number.isFinite(scale) || scale === 0) return tidy(value);
  const decimals = Math.min(20, Math.max(0, 12 - Math.ceil(Math.log10(Math.abs(scale)))));
  return tidy(roundTo(value, decimals));
}

/** Whole dollars with thousands separators: 123456.7 → "$123,457". */
export function usd(value: number): string {
  return `$${groupThousands(String(Math.round(value)))}`;
}

/** A number for a sentence: at most `decimals` decimals, no trailing zeros. */
export function short(value: number, decimals = 2): string {
  return String(roundTo(value, decimals));
}

function groupThousands(digits: string): string {
  const negative = digits.startsWith('-');
  const body = negative ? digits.slice(1) : digits;
  let out = '';
  for (let i = 0; i < body.length; i++) {
    if (i > 0 && (body.length - i) % 3 === 0) out += ',';
    out += body[i];
  }
  return negative ? `-${out}` : out;
}
