/**
 * DXLink symbology (docs/protocols/dxlink-tastytrade.md §5 and §4.2): option streamer symbols
 * `.AAPL250117C150` (root, YYMMDD, C/P, strike without padding or trailing zeros) and candle
 * symbols `AAPL{=5m}`. Users may type OCC (padded or not) or streamer symbols; the pack's
 * canonical form is the padded OCC symbol.
 */
import { MarketError } from '../../../model/errors';
import { formatOccSymbol, parseOccSymbol, type OccParts } from '../../../model/occ';

const STREAMER_OPTION = /^\.([A-Z][A-Z0-9]{0,5}?)(\d{2})(\d{2})(\d{2})([CP])(\d+(?:\.\d+)?)$/;

/** Parses `.AAPL250117C150` / `.SPXW240417C1400` / `.AAPL250117P152.5`; null when it is not one. */
export function parseStreamerOptionSymbol(text: string): OccParts | null {
  const match = STREAMER_OPTION.exec(text.trim().toUpperCase());
  if (!match) return null;
  const [, root, yy, mm, dd, cp, strikeText] = match;
  const strike = Number(strikeText);
  try {
    // formatOccSymbol validates the date and the strike; reuse it rather than repeat the rules.
    const parts: OccParts = { root: root!, expiry: `20${yy}-${mm}-${dd}`, right: cp === 'C' ? 'call' : 'put', strike };
    formatOccSymbol(parts);
    return parts;
  } catch {
    return null;
  }
}

/** `.AAPL250117C150` for an OCC symbol's parts. */
export function toStreamerOptionSymbol(parts: OccParts): string {
  const yymmdd = parts.expiry.slice(2, 4) + parts.expiry.slice(5, 7) + parts.expiry.slice(8, 10);
  // String(152.5) === '152.5', String(150) === '150': no padding, no trailing zeros.
  return `.${parts.root}${yymmdd}${parts.right === 'call' ? 'C' : 'P'}${String(parts.strike)}`;
}

/**
 * Canonical symbol for DXLink providers: padded OCC for options (typed as OCC or as a
 * streamer symbol), anything else trimmed and upper-cased (`AAPL`, `SPX`, `BTC/USD:CXTALP`).
 */
export function canonicalDxlinkSymbol(provider: string, text: string): string {
  const trimmed = text.trim();
  if (!trimmed) throw new MarketError('CONFIG', `${provider}: empty symbol`, { provider });
  const occ = parseOccSymbol(trimmed) ?? parseStreamerOptionSymbol(trimmed);
  if (occ) return formatOccSymbol(occ);
  if (/[{}]/.test(trimmed)) {
    throw new MarketError('CONFIG', `${provider}: "${trimmed}" carries candle attributes; enter the plain symbol and pick the interval in the node`, { provider });
  }
  if (trimmed.endsWith('*')) {
    throw new MarketError('CONFIG', `${provider}: whole option chains (${trimmed}) are not offered; list the contracts (OCC or .AAPL250117C150 symbols)`, { provider });
  }
  return trimmed.toUpperCase();
}

/** What DXLink calls a canonical symbol: the streamer symbol for options, the symbol itself otherwise. */
export function toDxlinkSymbol(canonical: string): string {
  const occ = parseOccSymbol(canonical);
  return occ ? toStreamerOptionSymbol(occ) : canonical;
}

/** DXLink candle period for one of our intervals: `5m` → `5m`, `1d` → `1d`, `1w` → `1w`. */
export const DXLINK_INTERVALS: readonly string[] = ['1s', '5s', '15s', '1m', '5m', '15m', '30m', '1h', '4h', '1d', '1w'];

export function intervalMs(interval: string): number {
  const match = /^(\d+)([smhdw])$/.exec(interval);
  if (!match) throw new RangeError(`unknown interval ${interval}`);
  const unit = { s: 1_000, m: 60_000, h: 3_600_000, d: 86_400_000, w: 604_800_000 }[match[2] as 's' | 'm' | 'h' | 'd' | 'w'];
  return Number(match[1]) * unit;
}

/** `AAPL{=5m}`: in DXLink `m` is a minute (`mo` would be a month), so our interval text maps as is. */
export function candleSymbol(dxlinkSymbol: string, interval: string): string {
  return `${dxlinkSymbol}{=${interval}}`;
}

/** Splits `AAPL{=5m}` (or `AAPL{=5m,tho=true}`) into the symbol and our interval; null when not a candle symbol. */
export function parseCandleSymbol(text: string): { symbol: string; interval: string } | null {
  const match = /^(.+)\{=(\d*)([a-z]+)(?:,[^}]*)?\}$/.exec(text);
  if (!match) return null;
  return { symbol: match[1]!, interval: `${match[2] || '1'}${match[3]}` };
}
