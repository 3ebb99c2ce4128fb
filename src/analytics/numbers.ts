/** Rounding and short number formats for analytics results and their explanations. */

/** Rounds to a number of decimals (half away from zero is not needed: inputs are prices and sizes). */
export function roundTo(value: number, decimals: number): number {
  const factor = 10 ** decimals;
  return Math.round(value * factor) / factor;
}

/**
 * Twelve significant digits: removes binary noise from sums and differences of decimal prices
 * (100.01 − 100 = 0.010000000000005116 → 0.01) without assuming a tick size.
 */
export function tidy(value: number): number {
  return Number(value.toPrecision(12));
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
