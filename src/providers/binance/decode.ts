/**
 * Binance frame decoding, the hot path: one JSON.parse per frame, a switch on the event type,
 * no regex, one event object per market event. Works without a socket, so a benchmark can drive
 * it directly:
 *
 *   const decoder = new BinanceDecoder({ event: (e) => out.push(e), depth() {}, reply() {}, shutdown() {}, malformed() {} });
 *   decoder.decode(frameText, Date.now(), SINGLE_SOURCE);
 *
 * It also puts trades in order while two connections carry the same stream (the hand-over
 * before Binance's 24 h cut): a trade id ahead of the last one emitted waits until the ids in
 * between arrive from the other connection, duplicates are dropped, so the output has no gap
 * and no repeat. Payload shapes: docs/protocols/binance.md §4–§6.
 */
import type { CandleEvent, QuoteEvent, TradeEvent } from '../../model/events';
import type { TradeStream } from './settings';
import { decimalOrNaN, isWholeCount } from '../shared/wire-values';

/** A diff-depth event (`depthUpdate`): prices and quantities stay text until the book applies them. */
export interface DepthDiff {
  /** `U`: first update id in the event. */
  firstId: number;
  /** `u`: final update id in the event. */
  finalId: number;
  /** `E`: event time, epoch ms. */
  eventTime: number;
  bids: Array<[string, string]>;
  asks: Array<[string, string]>;
}

export interface BinanceErrorBody {
  code: number;
  msg: string;
}

/** Where a frame came from: `multiSource` is true while two connections carry its streams. */
export interface FrameSource {
  readonly multiSource: boolean;
}

export const SINGLE_SOURCE: FrameSource = Object.freeze({ multiSource: false });

export interface BinanceFrameSink {
  event(event: QuoteEvent | TradeEvent | CandleEvent): void;
  depth(symbol: string, diff: DepthDiff, receivedAt: number, source: FrameSource): void;
  /** Answer to a SUBSCRIBE/UNSUBSCRIBE/… request. */
  reply(id: number | null, error: BinanceErrorBody | null, result: unknown): void;
  /** `serverShutdown`: this connection is about to close. */
  shutdown(source: FrameSource): void;
  /** A frame that is not JSON or not a known shape. */
  malformed(reason: string): void;
}

export interface BinanceDecoderOptions {
  /** Time fields are microseconds (timeUnit=MICROSECOND). */
  microseconds?: boolean;
  tradeStream?: TradeStream;
}

interface Frame {
  stream?: string;
  data?: Payload;
  id?: number | null;
  result?: unknown;
  error?: BinanceErrorBody;
  e?: string;
}

interface Payload {
  e?: string;
  s?: string;
  u?: number;
}

interface RawTrade {
  E: number;
  s: string;
  t: number;
  p: string;
  q: string;
  T: number;
  m: boolean;
}

interface RawAggTrade {
  E: number;
  s: string;
  a: number;
  p: string;
  q: string;
  T: number;
  m: boolean;
}

interface RawKline {
  E: number;
  s: string;
  k: { t: number; T: number; i: string; o: string; c: string; h: string; l: string; v: string; x: boolean };
}

interface RawDepth {
  E: number;
  s: string;
  U: number;
  u: number;
  b: Array<[string, string]>;
  a: Array<[string, string]>;
}

interface RawBookTicker {
  u: number;
  s: string;
  b: string;
  B: string;
  a: string;
  A: string;
}

/** Trades of one symbol: the last id emitted and, during a hand-over, those that arrived early. */
interface TradeTrack {
  last: number;
  held: TradeEvent[];
  heldIds: number[];
}

/** Candles of one stream: the last event seen, to drop the copy the other connection sends during a hand-over. */
interface KlineTrack {
  eventTime: number;
  start: number;
  closed: boolean;
}

const MAX_HELD_TRADES = 10_000;

export class BinanceDecoder {
  private readonly sink: BinanceFrameSink;
  private readonly timeDivisor: number;
  private readonly aggregate: boolean;
  private readonly trades = new Map<string, TradeTrack>();
  private readonly quotesLastId = new Map<string, number>();
  private readonly klines = new Map<string, KlineTrack>();

  constructor(sink: BinanceFrameSink, options: BinanceDecoderOptions = {}) {
    this.sink = sink;
    this.timeDivisor = options.microseconds ? 1000 : 1;
    this.aggregate = options.tradeStream === 'aggTrade';
  }

  decode(text: string, receivedAt: number, source: FrameSource): void {
    let frame: Frame;
    try {
      frame = JSON.parse(text) as Frame;
    } catch {
      this.sink.malformed('a frame that is not JSON');
      return;
    }
    if (frame === null || typeof frame !== 'object') {
      this.sink.malformed('a frame that is not a JSON object');
      return;
    }
    const data: Payload = frame.data ?? frame;
    if (data === null || typeof data !== 'object') {
      this.sink.malformed('a frame of unknown shape');
      return;
    }
    switch (data.e) {
      case 'trade':
        if (!this.aggregate) this.trade(data as unknown as RawTrade, receivedAt, source);
        return;
      case 'aggTrade':
        if (this.aggregate) this.aggTrade(data as unknown as RawAggTrade, receivedAt, source);
        return;
      case 'depthUpdate':
        this.depthUpdate(data as unknown as RawDepth, receivedAt, source);
        return;
      case 'kline':
        this.kline(data as unknown as RawKline, receivedAt, source);
        return;
      case 'serverShutdown':
        this.sink.shutdown(source);
        return;
      case undefined:
        break;
      default:
        this.sink.malformed('an event of a type it does not know');
        return;
    }
    if (data.u !== undefined && data.s !== undefined) {
      this.bookTicker(data as unknown as RawBookTicker, receivedAt);
    } else if ('id' in frame && ('result' in frame || 'error' in frame)) {
      this.sink.reply(frame.id ?? null, frame.error ?? null, frame.result);
    } else {
      this.sink.malformed('a frame of unknown shape');
    }
  }

  /** The hand-over of these symbols is over: emit, in id order, trades still waiting for ids that will not come. */
  flushHeld(symbols: Iterable<string>): void {
    for (const symbol of symbols) {
      const track = this.trades.get(symbol);
      if (track) this.releaseAll(track);
    }
  }

  /** Forget a symbol's ordering state (unsubscribed). */
  forget(symbol: string): void {
    this.trades.delete(symbol);
    this.quotesLastId.delete(symbol);
    for (const key of [...this.klines.keys()]) if (key.startsWith(`${symbol}@`)) this.klines.delete(key);
  }

  private trade(raw: RawTrade, receivedAt: number, source: FrameSource): void {
    const price = decimalOrNaN(raw.p);
    const size = decimalOrNaN(raw.q);
    if (!(price > 0 && size > 0 && isWholeCount(raw.t) && isTime(raw.T) && isSymbol(raw.s) && typeof raw.m === 'boolean')) {
      this.sink.malformed('a trade that could not be read (price, quantity, id, time or side)');
      return;
    }
    const event: TradeEvent = {
      type: 'trade',
      provider: 'binance',
      symbol: raw.s,
      ts: raw.T / this.timeDivisor,
      receivedAt,
      price,
      size,
      side: raw.m ? 'sell' : 'buy',
      id: String(raw.t),
    };
    this.sequenceTrade(event, raw.t, source.multiSource);
  }

  private aggTrade(raw: RawAggTrade, receivedAt: number, source: FrameSource): void {
    const price = decimalOrNaN(raw.p);
    const size = decimalOrNaN(raw.q);
    if (!(price > 0 && size > 0 && isWholeCount(raw.a) && isTime(raw.T) && isSymbol(raw.s) && typeof raw.m === 'boolean')) {
      this.sink.malformed('an aggregate trade that could not be read (price, quantity, id, time or side)');
      return;
    }
    const event: TradeEvent = {
      type: 'trade',
      provider: 'binance',
      symbol: raw.s,
      ts: raw.T / this.timeDivisor,
      receivedAt,
      price,
      size,
      side: raw.m ? 'sell' : 'buy',
      id: String(raw.a),
    };
    this.sequenceTrade(event, raw.a, source.multiSource);
  }

  /**
   * Emits a trade unless it repeats one already sent. While two connections carry the symbol,
   * a trade whose id is ahead of the next expected one waits for the ids in between.
   */
  private sequenceTrade(event: TradeEvent, id: number, multiSource: boolean): void {
    const track = this.trades.get(event.symbol);
    if (track === undefined) {
      this.trades.set(event.symbol, { last: id, held: [], heldIds: [] });
      this.sink.event(event);
      return;
    }
    if (id <= track.last) return;
    if (!multiSource) {
      if (track.held.length > 0) this.releaseAll(track);
      if (id <= track.last) return;
      track.last = id;
      this.sink.event(event);
      return;
    }
    if (id === track.last + 1) {
      track.last = id;
      this.sink.event(event);
      this.releaseContiguous(track);
      return;
    }
    this.hold(track, event, id);
  }

  private hold(track: TradeTrack, event: TradeEvent, id: number): void {
    const ids = track.heldIds;
    let index = ids.length;
    while (index > 0 && (ids[index - 1] as number) > id) index -= 1;
    if (index > 0 && ids[index - 1] === id) return;
    ids.splice(index, 0, id);
    track.held.splice(index, 0, event);
    if (ids.length > MAX_HELD_TRADES) this.releaseAll(track);
  }

  private releaseContiguous(track: TradeTrack): void {
    while (track.heldIds.length > 0 && (track.heldIds[0] as number) <= track.last + 1) {
      const id = track.heldIds.shift() as number;
      const event = track.held.shift() as TradeEvent;
      if (id === track.last + 1) {
        track.last = id;
        this.sink.event(event);
      }
    }
  }

  private releaseAll(track: TradeTrack): void {
    const ids = track.heldIds;
    const held = track.held;
    track.heldIds = [];
    track.held = [];
    for (let i = 0; i < ids.length; i++) {
      const id = ids[i] as number;
      if (id <= track.last) continue;
      track.last = id;
      this.sink.event(held[i] as TradeEvent);
    }
  }

  private bookTicker(raw: RawBookTicker, receivedAt: number): void {
    const bid = decimalOrNaN(raw.b);
    const bidSize = decimalOrNaN(raw.B);
    const ask = decimalOrNaN(raw.a);
    const askSize = decimalOrNaN(raw.A);
    if (!(bid >= 0 && bidSize >= 0 && ask >= 0 && askSize >= 0 && isWholeCount(raw.u) && isSymbol(raw.s))) {
      this.sink.malformed('a best bid/ask that could not be read (prices, quantities or update id)');
      return;
    }
    const lastId = this.quotesLastId.get(raw.s);
    if (lastId !== undefined && raw.u <= lastId) return; // the same update from the other connection, or older
    this.quotesLastId.set(raw.s, raw.u);
    // An empty side comes as price and quantity 0: absent, not a zero quote.
    const hasBid = bidSize > 0;
    const hasAsk = askSize > 0;
    const event: QuoteEvent = {
      type: 'quote',
      provider: 'binance',
      symbol: raw.s,
      ts: receivedAt, // bookTicker carries no time on spot
      receivedAt,
      bid: hasBid ? bid : null,
      bidSize: hasBid ? bidSize : null,
      ask: hasAsk ? ask : null,
      askSize: hasAsk ? askSize : null,
    };
    this.sink.event(event);
  }

  private kline(raw: RawKline, receivedAt: number, source: FrameSource): void {
    const k = raw.k;
    if (!klineReadable(raw)) {
      this.sink.malformed('a candle that could not be read');
      return;
    }
    if (source.multiSource) {
      const key = `${raw.s}@${k.i}`;
      const seen = this.klines.get(key);
      if (seen && (raw.E < seen.eventTime || (raw.E === seen.eventTime && k.t === seen.start && k.x === seen.closed))) return;
      this.klines.set(key, { eventTime: raw.E, start: k.t, closed: k.x });
    }
    const divisor = this.timeDivisor;
    const event: CandleEvent = {
      type: 'candle',
      provider: 'binance',
      symbol: raw.s,
      ts: raw.E / divisor,
      receivedAt,
      interval: k.i,
      start: k.t / divisor,
      end: (k.T + 1) / divisor, // T is the bucket's last instant (start + interval - 1 unit)
      open: decimalOrNaN(k.o),
      high: decimalOrNaN(k.h),
      low: decimalOrNaN(k.l),
      close: decimalOrNaN(k.c),
      volume: decimalOrNaN(k.v),
      closed: k.x,
    };
    this.sink.event(event);
  }

  private depthUpdate(raw: RawDepth, receivedAt: number, source: FrameSource): void {
    // An unreadable diff is skipped whole; the next one then shows the hole in the update ids (a resync).
    if (!(isWholeCount(raw.U) && isWholeCount(raw.u) && raw.U <= raw.u && isTime(raw.E) && isSymbol(raw.s) && levelsReadable(raw.b) && levelsReadable(raw.a))) {
      this.sink.malformed('an order-book update that could not be read');
      return;
    }
    const diff: DepthDiff = { firstId: raw.U, finalId: raw.u, eventTime: raw.E / this.timeDivisor, bids: raw.b, asks: raw.a };
    this.sink.depth(raw.s, diff, receivedAt, source);
  }
}



function isTime(value: unknown): value is number {
  return typeof value === 'number' && value > 0 && Number.isFinite(value);
}

function isSymbol(value: unknown): value is string {
  return typeof value === 'string' && value !== '';
}

/** [[price, quantity], …] of decimal strings, quantities ≥ 0 (0 removes a level). */
function levelsReadable(levels: unknown): boolean {
  if (!Array.isArray(levels)) return false;
  for (const level of levels) {
    if (!Array.isArray(level) || !(decimalOrNaN(level[0]) > 0) || !(decimalOrNaN(level[1]) >= 0)) return false;
  }
  return true;
}

function klineReadable(raw: RawKline): boolean {
  const k = raw.k as Partial<RawKline['k']> | null;
  if (k === null || typeof k !== 'object' || !isTime(raw.E) || !isSymbol(raw.s)) return false;
  return isWholeCount(k.t) && isWholeCount(k.T) && k.T >= k.t && typeof k.i === 'string' && typeof k.x === 'boolean' &&
    decimalOrNaN(k.o) >= 0 && decimalOrNaN(k.h) >= 0 && decimalOrNaN(k.l) >= 0 && decimalOrNaN(k.c) >= 0 && decimalOrNaN(k.v) >= 0;
}
