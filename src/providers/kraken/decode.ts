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
