/**
 * What an alert says: one of our events (a classified flow print, a book alert, a momentum
 * signal, a stream status) → a subject, plain text and HTML, with the dedupe key and the noun
 * its summary counts in. Reads the payload's fields structurally, so it needs only the model.
 */
export interface AlertFacts {
  /** Dedupe key by default: event type (flow kind, book alert kind, signal, status state) + symbol. */
  key: string;
  /** What a summary counts, plural: "whale prints", "imbalance alerts". */
  noun: string;
  symbol: string | null;
  subject: string;
  text: string;
  html: string;
}

type Fields = Record<string, unknown>;

const str = (v: unknown): string | null => (typeof v === 'string' && v !== '' ? v : null);
const num = (v: unknown): number | null => (typeof v === 'number' && Number.isFinite(v) ? v : null);

export function escapeHtml(text: string): string {
  return text.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;');
}

/** "$1,234,567" — whole dollars, as traders read premium. */
export function formatUsd(value: number): string {
  return `$${Math.round(value).toLocaleString('en-US')}`;
}

function facts(key: string, noun: string, symbol: string | null, subject: string, lines: string[]): AlertFacts {
  const text = [subject, ...lines].join('\n');
  const html = [`<b>${escapeHtml(subject)}</b>`, ...lines.map(escapeHtml)].join('\n');
  return { key, noun, symbol, subject, text, html };
}

function flowFacts(p: Fields, symbol: string): AlertFacts {
  const kind = str(p['kind']) ?? 'FLOW';
  const whale = p['whale'] === true;
  const size = num(p['size']);
  const premium = num(p['premiumUsd']);
  const price = num(p['price']);
  const option = (p['option'] ?? {}) as Fields;
  const underlying = str(option['underlying']) ?? symbol;
  const label = whale ? `Whale ${kind}` : kind;
  const amounts = [size !== null ? `${size} contracts` : null, price !== null ? `@ ${price}` : null, premium !== null ? `premium ${formatUsd(premium)}` : null].filter((x): x is string => x !== null);
  const subject = `${label} ${symbol}: ${amounts.join(' ')}`;
  const lines = [
    `Underlying ${underlying}${str(p['sentiment']) ? `, ${str(p['sentiment'])}` : ''}${str(p['side']) ? `, side ${str(p['side'])}` : ''}`,
    ...(Array.isArray(p['exchanges']) ? [`Exchanges ${(p['exchanges'] as unknown[]).join(', ')}`] : []),
    ...(str(p['explain']) ? [str(p['explain']) as string] : []),
  ];
  const key = `${whale ? 'whale' : kind.toLowerCase()}|${underlying}`;
  return facts(key, whale ? 'whale prints' : `${kind.toLowerCase()} prints`, underlying, subject, lines);
}

/** The alert for a payload, or null when the payload is none of our alertable events (quotes, trades, metrics, health). */
export function describeAlert(payload: unknown): AlertFacts | null {
  if (payload === null || typeof payload !== 'object' || Array.isArray(payload)) return null;
  const p = payload as Fields;
  const symbol = str(p['symbol']);
  switch (p['type']) {
    case 'flow':
      return symbol ? flowFacts(p, symbol) : null;
    case 'alert': {
      if (!symbol) return null;
      const kind = str(p['kind']) ?? 'book';
      const detail = str(p['detail']) ?? `${kind} alert`;
      return facts(`alert:${kind}|${symbol}`, `${kind} alerts`, symbol, `Book ${kind} ${symbol}`, [detail]);
    }
    case 'signal': {
      if (!symbol) return null;
      const side = str(p['side']) ?? 'flat';
      const method = str(p['method']);
      const value = num(p['value']);
      const close = num(p['price']);
      const subject = `Signal ${side.toUpperCase()} ${symbol}${close !== null ? ` @ ${close}` : ''}`;
      const line = `${method ?? 'momentum'}${value !== null ? ` ${value.toFixed(3)}` : ''}, was ${str(p['previous']) ?? 'flat'}`;
      return facts(`signal|${symbol}`, 'signal changes', symbol, subject, [line]);
    }
    case 'status': {
      const state = str(p['state']);
      // Only the states a user must act on or know about; "connecting"/"connected" are routine.
      if (!state || !['reconnecting', 'stale', 'error', 'closed', 'resyncing'].includes(state)) return null;
      const where = symbol ?? 'feed';
      const detail = str(p['detail']);
      return facts(`status:${state}|${where}`, `${state} reports`, symbol, `Stream ${state} (${where})`, detail ? [detail] : []);
    }
    default:
      return null;
  }
}
