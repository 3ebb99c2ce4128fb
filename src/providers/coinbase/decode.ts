/**
 * Coinbase Advanced Trade frames as they arrive (docs/protocols/coinbase.md A4–A7): their shapes,
 * and the checks that a message can be read before anything of it is applied. Pure: no socket,
 * no state.
 */
import { decimalOrNaN } from '../shared/wire-values';

export interface Envelope {
  channel?: string;
  timestamp?: string;
  sequence_num?: number;
  events?: unknown[];
  type?: string;
  message?: string;
  reason?: string;
}

export interface TickerEvent {
  tickers?: Array<{ product_id: string; best_bid?: string; best_bid_quantity?: string; best_ask?: string; best_ask_quantity?: string }>;
}

export interface RawTrade {
  trade_id: string;
  product_id: string;
  price: string;
  size: string;
  time: string;
}

export interface RawCandle {
  start: string;
  open: string;
  high: string;
  low: string;
  close: string;
  volume: string;
  product_id: string;
}

export interface Level2Event {
  type?: string;
  product_id?: string;
  updates?: Array<{ side: string; price_level: string; new_quantity: string }>;
}

/** Checked before anything is applied: a book message is taken whole or not at all. */
export function level2Problem(events: unknown[]): string | null {
  for (const event of events) {
    const body = event as Level2Event | null;
    if (!body || typeof body !== 'object' || typeof body.product_id !== 'string' || (body.type !== 'snapshot' && body.type !== 'update') || !Array.isArray(body.updates)) {
      return 'an order-book message that could not be read';
    }
    for (const update of body.updates as unknown[]) {
      const level = update as { side?: unknown; price_level?: unknown; new_quantity?: unknown } | null;
      if (!level || (level.side !== 'bid' && level.side !== 'offer') || !(decimalOrNaN(level.price_level) > 0) || !(decimalOrNaN(level.new_quantity) >= 0)) {
        return 'an order-book level that could not be read';
      }
    }
  }
  return null;
}

export function tradeReadable(value: unknown): value is RawTrade {
  const raw = value as Partial<RawTrade> | null;
  return !!raw && typeof raw === 'object' && typeof raw.trade_id === 'string' && /^\d{1,15}$/.test(raw.trade_id) && typeof raw.product_id === 'string' &&
    decimalOrNaN(raw.price) > 0 && decimalOrNaN(raw.size) > 0 && typeof raw.time === 'string';
}

export function candleReadable(value: unknown): value is RawCandle {
  const raw = value as Partial<RawCandle> | null;
  return !!raw && typeof raw === 'object' && typeof raw.product_id === 'string' && typeof raw.start === 'string' && /^\d{1,12}$/.test(raw.start) &&
    decimalOrNaN(raw.open) >= 0 && decimalOrNaN(raw.high) >= 0 && decimalOrNaN(raw.low) >= 0 && decimalOrNaN(raw.close) >= 0 && decimalOrNaN(raw.volume) >= 0;
}

export type RawTicker = NonNullable<TickerEvent['tickers']>[number];

/** Missing best bid/ask fields are an empty side; present ones must be decimal strings. */
export function tickerReadable(value: unknown): value is RawTicker {
  const raw = value as Record<string, unknown> | null;
  if (!raw || typeof raw !== 'object' || typeof raw.product_id !== 'string') return false;
  return ['best_bid', 'best_bid_quantity', 'best_ask', 'best_ask_quantity'].every((field) => raw[field] === undefined || raw[field] === '' || decimalOrNaN(raw[field]) >= 0);
}
