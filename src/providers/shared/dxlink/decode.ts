/**
 * DXLink frames → messages (§3) and DXLink events → normalized events (docs/protocols/dxlink-tastytrade.md §4). Missing values
 * ("NaN", absent fields) become null, never 0; `ts` falls back to receivedAt when DXLink sends 0
 * (tastytrade leaves eventTime, bidTime and askTime at 0).
 */
import type { CandleEvent, MarketEvent, OptionInfo, QuoteEvent, TradeEvent } from '../../../model/events';
import { formatOccSymbol, optionInfoFromOcc, parseOccSymbol } from '../../../model/occ';
import { dxNumber, dxText, type DxRecord, type DxValue } from './feed-data';
import { intervalMs, parseCandleSymbol, parseStreamerOptionSymbol } from './symbols';

/** eventFlags bits (§4.1). */
const REMOVE_EVENT = 0x2;

export interface SymbolRef {
  /** Canonical symbol (padded OCC for options). */
  symbol: string;
  /** Candle interval, for candle symbols. */
  interval?: string;
}

export interface NormalizeContext {
  provider: string;
  receivedAt: number;
  /** The canonical symbol behind a DXLink eventSymbol. */
  resolve(eventSymbol: string): SymbolRef;
}

/** Canonical symbol for a DXLink eventSymbol when no subscription says otherwise. */
export function defaultSymbolRef(eventSymbol: string): SymbolRef {
  const candle = parseCandleSymbol(eventSymbol);
  const base = candle ? candle.symbol : eventSymbol;
  const option = parseStreamerOptionSymbol(base);
  const symbol = option ? formatOccSymbol(option) : base;
  return candle ? { symbol, interval: candle.interval } : { symbol };
}

/** One DXLink event as a normalized event, or null when it carries nothing usable. */
export function normalizeDxRecord(record: DxRecord, context: NormalizeContext): MarketEvent | null {
  if (((dxNumber(record.eventFlags) ?? 0) & REMOVE_EVENT) !== 0) return null;
  const ref = context.resolve(record.eventSymbol);
  const base = { provider: context.provider, symbol: ref.symbol, receivedAt: context.receivedAt };
  const option = optionOf(ref.symbol);
  const withOption = (event: MarketEvent): MarketEvent => {
    if (option) event.option = option;
    return event;
  };
  const n = (field: string): number | null => dxNumber(record[field]);
  const eventTs = (...fields: Array<string | string[]>): number => firstTime(record, fields) ?? context.receivedAt;

  switch (record.eventType) {
    case 'Quote': {
      const quote: QuoteEvent = { type: 'quote', ...base, ts: eventTs(['bidTime', 'askTime'], 'eventTime'), bid: n('bidPrice'), bidSize: n('bidSize'), ask: n('askPrice'), askSize: n('askSize') };
      const bidExchange = dxText(record.bidExchangeCode);
      const askExchange = dxText(record.askExchangeCode);
      if (bidExchange) quote.bidExchange = bidExchange;
      if (askExchange) quote.askExchange = askExchange;
      return withOption(quote);
    }
    case 'Trade':
    case 'TradeETH':
    case 'TimeAndSale': {
      // A print needs a price and a size; index and composite "trades" (SPX, BTC/USD:CXTALP) send NaN sizes.
      const price = n('price');
      const size = n('size');
      if (price === null || size === null || price <= 0) return null;
      const kind = dxText(record.type);
      if (kind === 'CANCEL' || kind === 'CORRECTION') return null;
      const trade: TradeEvent = { type: 'trade', ...base, ts: eventTs('time', 'eventTime'), price, size };
      const exchange = dxText(record.exchangeCode);
      if (exchange) trade.exchange = exchange;
      const side = dxText(record.aggressorSide);
      if (side === 'BUY') trade.side = 'buy';
      else if (side === 'SELL') trade.side = 'sell';
      const conditions = dxText(record.exchangeSaleConditions);
      if (conditions) trade.conditions = [conditions];
      return withOption(trade);
    }
    case 'Candle': {
      const interval = ref.interval;
      const start = dxNumber(record.time);
      const [open, high, low, close] = [n('open'), n('high'), n('low'), n('close')];
      if (!interval || start === null || start <= 0 || open === null || high === null || low === null || close === null) return null;
      const end = start + intervalMs(interval);
      const candle: CandleEvent = { type: 'candle', ...base, ts: start, interval, start, end, open, high, low, close, volume: n('volume'), closed: end <= context.receivedAt };
      return withOption(candle);
    }
    case 'Greeks':
      return withOption({ type: 'greeks', ...base, ts: eventTs('time', 'eventTime'), delta: n('delta'), gamma: n('gamma'), theta: n('theta'), vega: n('vega'), rho: n('rho'), iv: n('volatility') });
    case 'TheoPrice':
      return withOption({
        type: 'theo', ...base, ts: eventTs('time', 'eventTime'),
        price: n('price'), underlyingPrice: n('underlyingPrice'), delta: n('delta'), gamma: n('gamma'),
        ...optionalNumbers(record, { dividend: 'dividend', interest: 'interest' }),
      });
    case 'Underlying':
      return {
        type: 'underlying', ...base, ts: eventTs('time', 'eventTime'), volatility: n('volatility'),
        ...optionalNumbers(record, { frontVolatility: 'frontVolatility', backVolatility: 'backVolatility', callVolume: 'callVolume', putVolume: 'putVolume', putCallRatio: 'putCallRatio' }),
      };
    case 'Summary':
      return withOption({
        type: 'summary', ...base, ts: eventTs('eventTime'),
        ...optionalNumbers(record, { open: 'dayOpenPrice', high: 'dayHighPrice', low: 'dayLowPrice', prevClose: 'prevDayClosePrice', openInterest: 'openInterest' }),
      });
    default:
      return null;
  }
}

/** Option fields per symbol, parsed once (the set is bounded by what was subscribed). */
const optionCache = new Map<string, OptionInfo | null>();

function optionOf(symbol: string): OptionInfo | undefined {
  let info = optionCache.get(symbol);
  if (info === undefined) {
    const parts = parseOccSymbol(symbol);
    info = parts ? optionInfoFromOcc(parts) : null;
    if (optionCache.size > 10_000) optionCache.clear();
    optionCache.set(symbol, info);
  }
  // A copy: events are handed to user code, which may change them.
  return info ? { ...info } : undefined;
}

/** The first field holding a usable time (> 0), epoch ms; `max` fields are combined (bid and ask times). */
function firstTime(record: DxRecord, fields: Array<string | string[]>): number | null {
  for (const field of fields) {
    const names = Array.isArray(field) ? field : [field];
    const times = names.map((name) => dxNumber(record[name])).filter((value): value is number => value !== null && value > 0);
    if (times.length > 0) return Math.max(...times);
  }
  return null;
}

/** Copies the fields the server sent (null for NaN), leaving out the ones it did not send. */
function optionalNumbers<K extends string>(record: DxRecord, names: Record<K, string>): Partial<Record<K, number | null>> {
  const out: Partial<Record<K, number | null>> = {};
  for (const key of Object.keys(names) as K[]) {
    const value: DxValue | undefined = record[names[key]];
    if (value !== undefined) out[key] = dxNumber(value);
  }
  return out;
}

/** A DXLink message: `type` and `channel` checked, the rest as sent. */
export type DxlinkMessage = { type: string; channel: number } & Record<string, unknown>;

const CONNECTION_MESSAGES = new Set(['SETUP', 'AUTH_STATE', 'KEEPALIVE', 'ERROR']);
const CHANNEL_MESSAGES = new Set(['CHANNEL_OPENED', 'CHANNEL_CLOSED', 'ERROR', 'FEED_CONFIG', 'FEED_DATA']);

/**
 * One frame read once (docs/protocols/dxlink-tastytrade.md §3): text with a JSON object whose
 * `type` is a message this client handles on its `channel` (0 = the connection); SETUP's
 * keepaliveTimeout must be a number of seconds (it becomes the stale window) and AUTH_STATE's
 * state one of the two. Anything else comes back as the reason it cannot be read.
 */
export function parseDxlinkFrame(data: Buffer | ArrayBuffer | Buffer[], isBinary: boolean): { message: DxlinkMessage } | { problem: string } {
  if (isBinary) return { problem: 'a binary frame where text was expected' };
  let message: unknown;
  try {
    message = JSON.parse(Array.isArray(data) ? Buffer.concat(data).toString() : Buffer.from(data as ArrayBuffer).toString());
  } catch {
    return { problem: 'a frame that is not JSON' };
  }
  if (message === null || typeof message !== 'object' || Array.isArray(message)) return { problem: 'a frame that is not a JSON object' };
  const { type, channel } = message as { type?: unknown; channel?: unknown };
  if (typeof type !== 'string' || !Number.isSafeInteger(channel) || (channel as number) < 0) return { problem: 'a message without a type and channel' };
  if (!(channel === 0 ? CONNECTION_MESSAGES : CHANNEL_MESSAGES).has(type)) return { problem: 'a message of a type it does not know' };
  if (type === 'SETUP') {
    const { keepaliveTimeout } = message as { keepaliveTimeout?: unknown };
    if (keepaliveTimeout !== undefined && !(typeof keepaliveTimeout === 'number' && keepaliveTimeout > 0 && Number.isFinite(keepaliveTimeout))) return { problem: 'a SETUP message whose keepaliveTimeout is not a number of seconds' };
  }
  if (type === 'AUTH_STATE') {
    const { state } = message as { state?: unknown };
    if (state !== 'AUTHORIZED' && state !== 'UNAUTHORIZED') return { problem: 'an AUTH_STATE message with an unknown state' };
  }
  return { message: message as DxlinkMessage };
}
