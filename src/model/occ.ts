/**
 * OCC option symbols: `ROOT  YYMMDD[C|P]SSSSSSSS`, root left-aligned and padded to six
 * characters, strike × 1000 in eight digits. Providers translate their own notation to and
 * from this form; events always carry it.
 */
import type { OptionInfo, OptionRight } from './events';

export interface OccParts {
  /** 1–6 characters: letters, then letters or digits (adjusted roots such as AAPL1). */
  root: string;
  /** YYYY-MM-DD */
  expiry: string;
  right: OptionRight;
  /** Strike in dollars, up to three decimals. */
  strike: number;
}

const ROOT = /^[A-Z][A-Z0-9]{0,5}$/;
const TAIL = /^(\d{2})(\d{2})(\d{2})([CP])(\d{8})$/;
const TAIL_LENGTH = 15;

/** Weekly and PM-settled index roots whose underlying has another name (OCC series roots). */
const ROOT_UNDERLYING: Readonly<Record<string, string>> = {
  SPXW: 'SPX',
  SPXPM: 'SPX',
  NDXP: 'NDX',
  RUTW: 'RUT',
  VIXW: 'VIX',
  XSPW: 'XSP',
  DJXW: 'DJX',
};

/**
 * Parses an OCC symbol, padded (`AAPL  250117C00150000`) or not (`AAPL250117C00150000`).
 * Returns null when the text is not an OCC symbol.
 */
export function parseOccSymbol(text: string): OccParts | null {
  const compact = text.trim().toUpperCase();
  if (compact.length < TAIL_LENGTH + 1 || compact.length > TAIL_LENGTH + 6) return null;
  const tail = TAIL.exec(compact.slice(-TAIL_LENGTH));
  if (!tail) return null;
  const root = compact.slice(0, -TAIL_LENGTH).trimEnd();
  if (!ROOT.test(root)) return null;
  const [, yy, mm, dd, cp, strikeDigits] = tail;
  const expiry = `20${yy}-${mm}-${dd}`;
  if (!isCalendarDate(expiry)) return null;
  return { root, expiry, right: cp === 'C' ? 'call' : 'put', strike: Number(strikeDigits) / 1000 };
}

/** Formats the canonical padded OCC symbol. Throws on values OCC cannot represent. */
export function formatOccSymbol(parts: OccParts): string {
  const root = parts.root.toUpperCase();
  if (!ROOT.test(root)) throw new RangeError(`OCC root must be 1–6 letters or digits starting with a letter, got "${parts.root}"`);
  if (!isCalendarDate(parts.expiry) || !parts.expiry.startsWith('20')) {
    throw new RangeError(`OCC expiry must be a date in 2000–2099 as YYYY-MM-DD, got "${parts.expiry}"`);
  }
  const milli = Math.round(parts.strike * 1000);
  if (!(parts.strike > 0) || milli >= 1e8 || Math.abs(milli - parts.strike * 1000) > 1e-6) {
    throw new RangeError(`OCC strike must be positive, below 100000 and have at most 3 decimals, got ${parts.strike}`);
  }
  const yymmdd = parts.expiry.slice(2, 4) + parts.expiry.slice(5, 7) + parts.expiry.slice(8, 10);
  return root.padEnd(6, ' ') + yymmdd + (parts.right === 'call' ? 'C' : 'P') + String(milli).padStart(8, '0');
}

/** Canonical padded form of an OCC symbol, or null when the text is not one. */
export function toOccSymbol(text: string): string | null {
  const parts = parseOccSymbol(text);
  return parts ? formatOccSymbol(parts) : null;
}

/** The underlying of an OCC root: SPXW → SPX, AAPL1 (adjusted) → AAPL, AAPL → AAPL. */
export function underlyingOfRoot(root: string): string {
  const mapped = ROOT_UNDERLYING[root];
  if (mapped) return mapped;
  const adjusted = /^([A-Z]+)\d$/.exec(root);
  return adjusted ? adjusted[1] : root;
}

/** The `option` block of a normalized event for an OCC symbol. */
export function optionInfoFromOcc(parts: OccParts, multiplier = 100): OptionInfo {
  const underlying = underlyingOfRoot(parts.root);
  const info: OptionInfo = { underlying, expiry: parts.expiry, right: parts.right, strike: parts.strike, multiplier };
  if (underlying !== parts.root) info.root = parts.root;
  return info;
}

function isCalendarDate(iso: string): boolean {
  const m = /^(\d{4})-(\d{2})-(\d{2})$/.exec(iso);
  if (!m) return false;
  const [y, mo, d] = [Number(m[1]), Number(m[2]), Number(m[3])];
  const date = new Date(Date.UTC(y, mo - 1, d));
  return date.getUTCFullYear() === y && date.getUTCMonth() === mo - 1 && date.getUTCDate() === d;
}
