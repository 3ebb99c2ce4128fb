/**
 * Kraken writes prices and quantities as JSON numbers with the pair's full precision, trailing
 * zeros included ("qty":0.80386470), and its book checksum is computed from exactly that text
 * (docs/protocols/kraken.md §4, §7). JSON.parse would turn 0.80386470 into 0.8038647, so frames are parsed with
 * every number turned into a string first: the text survives, and numbers too large for a double
 * (the status channel's connection_id) are not rounded.
 */
import { crc32 } from '../../book/crc32';
import type { BookSide } from '../../book/order-book';

/** The JSON text with every number token (outside strings) quoted: `{"qty":0.50}` → `{"qty":"0.50"}`. */
export function quoteNumbers(text: string): string {
  let out = '';
  let copied = 0;
  let i = 0;
  const length = text.length;
  while (i < length) {
    const c = text.charCodeAt(i);
    if (c === 34 /* " */) {
      i += 1;
      while (i < length) {
        const d = text.charCodeAt(i);
        if (d === 92 /* \ */) i += 2;
        else {
          i += 1;
          if (d === 34) break;
        }
      }
    } else if (c === 45 /* - */ || (c >= 48 && c <= 57)) {
      const start = i;
      i += 1;
      while (i < length) {
        const d = text.charCodeAt(i);
        if ((d >= 48 && d <= 57) || d === 46 || d === 101 || d === 69 || d === 43 || d === 45) i += 1;
        else break;
      }
      out += `${text.slice(copied, start)}"${text.slice(start, i)}"`;
      copied = i;
    } else {
      i += 1;
    }
  }
  return copied === 0 ? text : out + text.slice(copied);
}

/** Parses a Kraken frame keeping every number as its wire text. */
export function parseKeepingNumberText(text: string): unknown {
  return JSON.parse(quoteNumbers(text));
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
