/**
 * Symbol lists as users type them in the editor or send them in a msg.
 *
 * Commas and newlines separate symbols; spaces never do, because an OCC symbol pads its root
 * with spaces (`SPY   261218P00450000`).
 */
import { toOccSymbol } from './occ';

/** Splits a comma- or newline-separated list (or an array) into trimmed, non-empty, unique entries. */
export function splitSymbolList(input: string | readonly unknown[]): string[] {
  const pieces = typeof input === 'string' ? input.split(/[,\n\r]+/) : input.map((item) => (typeof item === 'string' ? item : ''));
  const seen = new Set<string>();
  const out: string[] = [];
  for (const piece of pieces) {
    const trimmed = piece.trim();
    if (trimmed && !seen.has(trimmed)) {
      seen.add(trimmed);
      out.push(trimmed);
    }
  }
  return out;
}

/**
 * Default canonical form for a provider that has no notation of its own for options:
 * OCC symbols become the padded OCC form, anything else is upper-cased.
 */
export function canonicalSymbol(text: string): string {
  return toOccSymbol(text) ?? text.trim().toUpperCase();
}
