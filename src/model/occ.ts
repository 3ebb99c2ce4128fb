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

/**
 * A root, optional padding, six characters starting with a digit where the date goes, a letter
 * where C/P goes and digits where the strike goes: what a user typing an OCC symbol writes,
 * typos included. Provider notations (`BTCUSDT`, `BTC-USD`, `.SPY261218P450`, `/ESZ25`) do not match.
 */
const OCC_LIKE = /^([A-Z][A-Z0-9]{0,5}?)( *)(\d[0-9A-Z]{5})([A-Z])(\d+)$/;

/**
 * Why text that looks like an OCC symbol is not one (which part is wrong), or null when it is a
 * valid OCC symbol or does not look like one (a provider's own notation).
 */
export function occSymbolProblem(text: string): string | null {
  const compact = text.trim().toUpperCase();
  if (parseOccSymbol(compact)) return null;
  const match = OCC_LIKE.exec(compact);
  if (!match) return null;
  const [, root, , date, right, strike] = match as unknown as [string, string, string, string, string, string];
  const intro = `"${text.trim()}" looks like an OCC option symbol (ROOT YYMMDD C|P strike × 1000 in 8 digits, e.g. SPY   261218P00450000) but`;
  if (!/^\d{6}$/.test(date)) return `${intro} its expiry "${date}" is not six digits YYMMDD`;
  const month = Number(date.slice(2, 4));
  if (month < 1 || month > 12) return `${intro} its expiry ${date} has month ${date.slice(2, 4)}; months are 01–12`;
  if (!isCalendarDate(`20${date.slice(0, 2)}-${date.slice(2, 4)}-${date.slice(4, 6)}`)) return `${intro} its expiry ${date} has day ${date.slice(4, 6)}, which month ${date.slice(2, 4)} does not have`;
  if (right !== 'C' && right !== 'P') return `${intro} its right is "${right}"; use C (call) or P (put)`;
  if (strike.length !== 8) return `${intro} its strike "${strike}" has ${strike.length} digits, not 8 (dollars × 1000: 00450000 is 450)`;
  return `${intro} its root "${root}" is not 1–6 letters or digits starting with a letter`;
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
