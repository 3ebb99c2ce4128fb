/**
 * Reading venue values, one meaning per name. Venues send prices and sizes as decimal text;
 * a value that is not what it should be is never turned into 0 (missing data is null).
 */

/** Decimal text → its number; anything else → null. */
export function decimalOrNull(value: unknown): number | null {
  if (typeof value !== 'string' || value === '') return null;
  const number = Number(value);
  return Number.isFinite(number) ? number : null;
}

/** Decimal text → its number; anything else → NaN, so that `decimalOrNaN(x) > 0` rejects it. */
export function decimalOrNaN(value: unknown): number {
  return decimalOrNull(value) ?? NaN;
}

/** A sequence number or numeric id: a whole, non-negative number a double holds exactly. */
export function isWholeCount(value: unknown): value is number {
  return Number.isSafeInteger(value) && (value as number) >= 0;
}

export interface QuoteSides {
  bid: number | null;
  bidSize: number | null;
  ask: number | null;
  askSize: number | null;
}

/** Top of book from decimal text: a side with no price, or no size or size 0, is absent (null), not 0. */
export function quoteSides(bid: unknown, bidSize: unknown, ask: unknown, askSize: unknown): QuoteSides {
  const bidPrice = decimalOrNull(bid);
  const bidQty = decimalOrNull(bidSize);
  const askPrice = decimalOrNull(ask);
  const askQty = decimalOrNull(askSize);
  const hasBid = bidPrice !== null && bidQty !== null && bidQty > 0;
  const hasAsk = askPrice !== null && askQty !== null && askQty > 0;
  return { bid: hasBid ? bidPrice : null, bidSize: hasBid ? bidQty : null, ask: hasAsk ? askPrice : null, askSize: hasAsk ? askQty : null };
}
