/**
 * What an analytics node was given: a normalized market event, a stream-in status msg, or
 * something it cannot use, with a reason the user can act on. Checks only what the analytics
 * read, so a malformed msg is reported instead of producing NaN downstream.
 */
import type { MarketEvent } from '../model/events';

export interface StatusInput {
  state: string;
  symbol?: string;
  ts: number;
  detail?: string;
}

export type AnalyticsInput =
  | { kind: 'event'; event: MarketEvent }
  | { kind: 'status'; status: StatusInput }
  /** Health and notice msgs from stream-in's output 2: nothing to do. */
  | { kind: 'ignored' }
  | { kind: 'invalid'; reason: string };

const WIRE_HINT = "wire a market-stream-in node's outputs to this node";

export function readAnalyticsInput(payload: unknown, wallNow: number): AnalyticsInput {
  if (!payload || typeof payload !== 'object') return { kind: 'invalid', reason: `msg.payload is not a market event (got ${describe(payload)}): ${WIRE_HINT}` };
  const p = payload as Record<string, unknown>;
  const type = p.type;
  if (type === 'health' || type === 'notice') return { kind: 'ignored' };
  if (type === 'status') {
    if (typeof p.state !== 'string') return { kind: 'invalid', reason: `status msg without a state: ${WIRE_HINT}` };
    const status: StatusInput = { state: p.state, ts: finite(p.ts) ? p.ts : wallNow };
    if (typeof p.symbol === 'string') status.symbol = p.symbol;
    if (typeof p.detail === 'string') status.detail = p.detail;
    return { kind: 'status', status };
  }
  if (typeof p.symbol !== 'string' || !finite(p.ts)) {
    return { kind: 'invalid', reason: `msg.payload is not a normalized market event (type ${describe(type)}, needs symbol and ts): ${WIRE_HINT}` };
  }
  const bad = (fields: string): AnalyticsInput => ({ kind: 'invalid', reason: `${String(type)} msg for ${p.symbol} has no usable ${fields}` });
  switch (type) {
    case 'trade':
      return finite(p.price) && finite(p.size) ? event(p) : bad('price and size');
    case 'quote':
      return nullableNumber(p.bid) && nullableNumber(p.ask) ? event(p) : bad('bid and ask (numbers or null)');
    case 'book': {
      if (!Array.isArray(p.bids) || !Array.isArray(p.asks)) return bad('bids and asks arrays');
      const problem = levelProblem('bids', p.bids) ?? levelProblem('asks', p.asks);
      return problem ? { kind: 'invalid', reason: `book msg for ${p.symbol} has an invalid level: ${problem}` } : event(p);
    }
    case 'candle':
      return finite(p.close) && finite(p.high) && finite(p.low) && finite(p.start) && finite(p.end) ? event(p) : bad('start, end, high, low and close');
    case 'greeks':
    case 'summary':
      return event(p);
    default:
      return { kind: 'invalid', reason: `msg.payload.type ${describe(type)} is not a market event type (quote, trade, candle, book, greeks, summary): ${WIRE_HINT}` };
  }
}

/**
 * Lets the same problem through once a minute: a bad msg repeated by a feed is reported once,
 * not thousands of times a second. Remembers at most 100 texts.
 */
export class RepeatGate {
  private readonly lastAt = new Map<string, number>();
  private readonly everyMs: number;

  constructor(everyMs = 60_000) {
    this.everyMs = everyMs;
  }

  allow(text: string, now: number): boolean {
    const last = this.lastAt.get(text);
    if (last !== undefined && now - last < this.everyMs) return false;
    if (this.lastAt.size >= 100) this.lastAt.clear();
    this.lastAt.set(text, now);
    return true;
  }
}

function event(p: Record<string, unknown>): AnalyticsInput {
  return { kind: 'event', event: p as unknown as MarketEvent };
}

/** The first level that is not `[price, size]` with both finite numbers ≥ 0, said so the user can find it. */
function levelProblem(side: 'bids' | 'asks', levels: readonly unknown[]): string | null {
  for (let i = 0; i < levels.length; i++) {
    const level = levels[i];
    const at = `${side}[${i}] ${JSON.stringify(level)?.slice(0, 60) ?? String(level)}`;
    if (!Array.isArray(level) || level.length < 2) return `${at} is not [price, size]`;
    for (const [index, name] of [[0, 'price'], [1, 'size']] as const) {
      const value: unknown = level[index];
      if (!finite(value)) return `${at}: ${name} is not a number (got ${typeof value === 'number' ? String(value) : describe(value)})`;
      if (value < 0) return `${at}: ${name} is negative`;
    }
  }
  return null;
}

function finite(value: unknown): value is number {
  return typeof value === 'number' && Number.isFinite(value);
}

function nullableNumber(value: unknown): boolean {
  return value === null || finite(value);
}

function describe(value: unknown): string {
  if (typeof value === 'string') return `"${value.slice(0, 40)}"`;
  return value === null ? 'null' : typeof value;
}
