/** Schwab's symbol notation (docs/protocols/schwab.md §4.2). */
import { MarketError } from '../../model/errors';
import { toOccSymbol } from '../../model/occ';

/** Schwab option keys are OCC symbols with the root padded to six characters (§4.2); equities as typed. */
export function canonicalSchwabSymbol(text: string): string {
  const trimmed = text.trim();
  if (!trimmed) throw new MarketError('CONFIG', 'schwab: empty symbol', { provider: 'schwab' });
  if (trimmed.endsWith('*')) throw new MarketError('CONFIG', `schwab: whole option chains (${trimmed}) are not streamed; list the contracts as OCC symbols`, { provider: 'schwab' });
  return toOccSymbol(trimmed) ?? trimmed.toUpperCase();
}
