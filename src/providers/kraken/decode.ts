/**
 * Kraken writes prices and quantities as JSON numbers with the pair's full precision, trailing
 * zeros included ("qty":0.80386470), and its book checksum is computed from exactly that text
 * (docs/protocols/kraken.md §4, §7). JSON.parse would turn 0.80386470 into 0.8038647, so frames are parsed with
 * lossless-json, every number handed over as its text: the text survives, and numbers too large
 * for a double (the status channel's connection_id) are not rounded. (JSON.parse's reviver sees
 * the source text only from Node 21; on Node 20 it gets the double.)
 */
import { crc32 } from 'node:zlib';
import { parse } from 'lossless-json';
import type { BookSide } from '../../book/order-book';
import { decimalOrNull } from '../shared/wire-values';

/** Parses a Kraken frame keeping every number as its wire text (a string). */
export function parseKeepingNumberText(text: string): unknown {
  return parse(text, null, keepText);
}

function keepText(numberText: string): string {
  return numberText;
}

/**
 * Kraken's book checksum (docs/protocols/kraken.md §7): the top 10 asks (best first) then the top 10 bids, each
 * level as price then quantity with the decimal point removed and leading zeros stripped,
 * CRC-32 of the concatenation.
 */
export function krakenChecksum(asks: BookSide, bids: BookSide): number {
  return crc32(checksumText(asks) + checksumText(bids));
}

function checksumText(side: BookSide): string {
  let text = '';
  const count = Math.min(10, side.length);
  for (let i = 0; i < count; i++) text += checksumPart(side.priceTexts[i] as string) + checksumPart(side.sizeTexts[i] as string);
  return text;
}

function checksumPart(value: string): string {
  let digits = '';
  for (let i = 0; i < value.length; i++) {
    const c = value[i];
    if (c !== '.' && !(digits === '' && c === '0')) digits += c;
  }
  return digits;
}

// ---- wire shapes and the checks that a message can be read (docs/protocols/kraken.md §3–§6) ----

export type Wire = Record<string, unknown>;

export interface Level {
  price: string;
  qty: string;
}

export function newestPerSymbol(entries: Wire[]): Wire[] {
  const newest = new Map<string, Wire>();
  for (const entry of entries) {
    const seen = newest.get(entry.symbol as string);
    if (!seen || Date.parse(entry.interval_begin as string) > Date.parse(seen.interval_begin as string)) newest.set(entry.symbol as string, entry);
  }
  return [...newest.values()];
}

export const KNOWN_CHANNELS = new Set(['book', 'ticker', 'trade', 'ohlc', 'status']);

/** [{price, qty}, …] with numbers (kept as their wire text), prices > 0, quantities ≥ 0; absent = none. */
export function levelsReadable(levels: unknown): boolean {
  if (levels === undefined) return true;
  if (!Array.isArray(levels)) return false;
  for (const level of levels) {
    const { price, qty } = (level ?? {}) as { price?: unknown; qty?: unknown };
    const p = decimalOrNull(price);
    const q = decimalOrNull(qty);
    if (p === null || p <= 0 || q === null || q < 0) return false;
  }
  return true;
}

/** Kraken trade ids are integers (numbers, kept as text): digits a double holds exactly. */
export function isTradeId(value: unknown): boolean {
  return typeof value === 'string' && /^\d{1,15}$/.test(value);
}

export function ohlcReadable(entry: Wire): boolean {
  return typeof entry.symbol === 'string' && typeof entry.interval_begin === 'string' && Number.isFinite(Date.parse(entry.interval_begin)) && decimalOrNull(entry.interval) !== null &&
    ['open', 'high', 'low', 'close'].every((field) => decimalOrNull(entry[field]) !== null) && (entry.volume === undefined || decimalOrNull(entry.volume) !== null);
}
