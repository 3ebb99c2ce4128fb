/**
 * Schwab streamer `data` items → normalized events (docs/protocols/schwab.md §3.3, §4).
 *
 * LEVELONE services deliver changes only (the first item is the full image), so each key keeps
 * a merged image and an item emits the event types whose fields it changed. Books are whole
 * snapshots each time; CHART_EQUITY sends one bar per item, in the wire's field order (which is
 * not the guide's, §4.6).
 */
import type { BookLevel, MarketEvent, OptionInfo } from '../../model/events';
import { formatOccSymbol, optionInfoFromOcc, parseOccSymbol, type OccParts } from '../../model/occ';

export type SchwabService = 'LEVELONE_EQUITIES' | 'LEVELONE_OPTIONS' | 'CHART_EQUITY' | 'NASDAQ_BOOK' | 'NYSE_BOOK' | 'OPTIONS_BOOK';

/** Field numbers we ask for, per service (always with 0, the key). */
export const SCHWAB_FIELDS: Readonly<Record<SchwabService, string>> = {
  // bid, ask, last, bid size, ask size, ask id, bid id, volume, last size, high, low, close, last id, open, quote/trade/bid/ask times
  LEVELONE_EQUITIES: '0,1,2,3,4,5,6,7,8,9,10,11,12,16,17,34,35,37,38',
  // bid, ask, last, high, low, close, volume, OI, volatility, multiplier, open, sizes, greeks, theo, underlying price, quote/trade times
  LEVELONE_OPTIONS: '0,2,3,4,5,6,7,8,9,10,13,15,16,17,18,28,29,30,31,32,34,35,38,39',
  CHART_EQUITY: '0,1,2,3,4,5,6,7,8',
  NASDAQ_BOOK: '0,1,2,3',
  NYSE_BOOK: '0,1,2,3',
  OPTIONS_BOOK: '0,1,2,3',
};

export const SCHWAB_SERVICES = Object.keys(SCHWAB_FIELDS) as readonly SchwabService[];

/** Fields sent as text (exchange ids); every other field we ask for is a number. */
const TEXT_FIELDS: Readonly<Record<SchwabService, ReadonlySet<string>>> = {
  LEVELONE_EQUITIES: new Set(['6', '7', '16']),
  LEVELONE_OPTIONS: new Set(),
  CHART_EQUITY: new Set(),
  NASDAQ_BOOK: new Set(),
  NYSE_BOOK: new Set(),
  OPTIONS_BOOK: new Set(),
};
const numericFields = (service: SchwabService): ReadonlySet<string> => new Set(SCHWAB_FIELDS[service].split(',').filter((field) => field !== '0' && !TEXT_FIELDS[service].has(field)));
const NUMERIC_FIELDS: Readonly<Record<SchwabService, ReadonlySet<string>>> = {
  LEVELONE_EQUITIES: numericFields('LEVELONE_EQUITIES'),
  LEVELONE_OPTIONS: numericFields('LEVELONE_OPTIONS'),
  CHART_EQUITY: numericFields('CHART_EQUITY'),
  NASDAQ_BOOK: numericFields('NASDAQ_BOOK'),
  NYSE_BOOK: numericFields('NYSE_BOOK'),
  OPTIONS_BOOK: numericFields('OPTIONS_BOOK'),
};
/** Book fields that are lists of levels, not numbers. */
const LEVEL_FIELDS = new Set(['2', '3']);

type Item = Record<string, unknown>;

const CHART_INTERVAL_MS = 60_000;

export class SchwabDecoder {
  private readonly images = new Map<string, Item>();
  private readonly provider = 'schwab';

  /** A new connection: the next item per key is a full image again. */
  reset(): void {
    this.images.clear();
  }

  /**
   * Events of one `data` entry (`{service, timestamp, command, content: [...]}`).
   * `receivedAt` is local time; `timestamp` (server time, ms) stands in for exchange time where
   * an item has none.
   */
  decode(entry: { service?: unknown; timestamp?: unknown; command?: unknown; content?: unknown }, receivedAt: number, problems: string[] = []): MarketEvent[] {
    const service = entry.service;
    const serverTs = typeof entry.timestamp === 'number' && entry.timestamp > 0 && Number.isFinite(entry.timestamp) ? entry.timestamp : receivedAt;
    if (!Array.isArray(entry.content)) {
      problems.push('data without a content list');
      return [];
    }
    const events: MarketEvent[] = [];
    for (const raw of entry.content) {
      // An item with a field of the wrong type is skipped whole: merged into an image it would turn a real value into "missing".
      if (!raw || typeof raw !== 'object' || typeof (raw as Item).key !== 'string' || (typeof service === 'string' && isService(service) && !fieldsReadable(service, raw as Item))) {
        problems.push('an item that could not be read (key or field types)');
        continue;
      }
      const item = raw as Item;
      switch (service) {
        case 'LEVELONE_EQUITIES':
          events.push(...this.levelOneEquity(item, serverTs, receivedAt));
          break;
        case 'LEVELONE_OPTIONS':
          events.push(...this.levelOneOption(item, serverTs, receivedAt));
          break;
        case 'CHART_EQUITY': {
          const candle = this.chartEquity(item, serverTs, receivedAt);
          if (candle) events.push(candle);
          break;
        }
        case 'NASDAQ_BOOK':
        case 'NYSE_BOOK':
        case 'OPTIONS_BOOK': {
          const book = this.book(item, serverTs, receivedAt);
          if (book) events.push(book);
          break;
        }
        default:
          break;
      }
    }
    return events;
  }

  private merge(service: string, item: Item): { image: Item; changed: Set<string> } {
    const key = `${service}:${String(item.key)}`;
    let image = this.images.get(key);
    if (!image) {
      image = {};
      this.images.set(key, image);
    }
    Object.assign(image, item);
    return { image, changed: new Set(Object.keys(item)) };
  }

  private levelOneEquity(item: Item, serverTs: number, receivedAt: number): MarketEvent[] {
    const { image: m, changed } = this.merge('LEVELONE_EQUITIES', item);
    const symbol = String(item.key);
    const base = { provider: this.provider, symbol, receivedAt };
    const events: MarketEvent[] = [];
    if (touches(changed, ['1', '2', '4', '5', '6', '7', '34', '37', '38'])) {
      const quoteTs = latest(m, ['37', '38']) ?? latest(m, ['34']) ?? serverTs;
      events.push(withText({ type: 'quote', ...base, ts: quoteTs, bid: num(m['1']), bidSize: num(m['4']), ask: num(m['2']), askSize: num(m['5']) }, { bidExchange: m['7'], askExchange: m['6'] }));
    }
    if (touches(changed, ['3', '9', '35'])) {
      const price = price0(m['3']);
      const size = num(m['9']);
      if (price !== null && size !== null && size > 0) {
        events.push(withText({ type: 'trade', ...base, ts: latest(m, ['35']) ?? serverTs, price, size }, { exchange: m['16'] }));
      }
    }
    if (touches(changed, ['8', '10', '11', '12', '17'])) {
      events.push({ type: 'summary', ...base, ts: serverTs, open: price0(m['17']), high: price0(m['10']), low: price0(m['11']), prevClose: price0(m['12']), volume: num(m['8']) });
    }
    return events;
  }

  private levelOneOption(item: Item, serverTs: number, receivedAt: number): MarketEvent[] {
    const { image: m, changed } = this.merge('LEVELONE_OPTIONS', item);
    const symbol = occSymbolOf(String(item.key));
    const option = optionOf(symbol, num(m['13']));
    const base = option ? { provider: this.provider, symbol, receivedAt, option } : { provider: this.provider, symbol, receivedAt };
    const events: MarketEvent[] = [];
    if (touches(changed, ['2', '3', '16', '17', '38'])) {
      events.push({ type: 'quote', ...base, ts: latest(m, ['38']) ?? serverTs, bid: num(m['2']), bidSize: num(m['16']), ask: num(m['3']), askSize: num(m['17']) });
    }
    if (touches(changed, ['4', '18', '39'])) {
      const price = price0(m['4']);
      const size = num(m['18']);
      if (price !== null && size !== null && size > 0) events.push({ type: 'trade', ...base, ts: latest(m, ['39']) ?? serverTs, price, size });
    }
    if (touches(changed, ['10', '28', '29', '30', '31', '32', '34', '35'])) {
      const volatilityPercent = model(m['10']);
      events.push({
        type: 'greeks', ...base, ts: serverTs,
        delta: model(m['28']), gamma: model(m['29']), theta: model(m['30']), vega: model(m['31']), rho: model(m['32']),
        // Field 10 is a percentage (observed 354.99 for a deep in-the-money call): iv is a fraction.
        iv: volatilityPercent === null ? null : volatilityPercent / 100,
        theo: model(m['34']), underlyingPrice: price0(m['35']),
      });
    }
    if (touches(changed, ['5', '6', '7', '8', '9', '15'])) {
      events.push({ type: 'summary', ...base, ts: serverTs, open: price0(m['15']), high: price0(m['5']), low: price0(m['6']), prevClose: price0(m['7']), volume: num(m['8']), openInterest: num(m['9']) });
    }
    return events;
  }

  private chartEquity(item: Item, serverTs: number, receivedAt: number): MarketEvent | null {
    const [open, high, low, close] = [price0(item['2']), price0(item['3']), price0(item['4']), price0(item['5'])];
    const start = num(item['7']);
    if (open === null || high === null || low === null || close === null || start === null || start <= 0) return null;
    const end = start + CHART_INTERVAL_MS;
    return { type: 'candle', provider: this.provider, symbol: String(item.key), ts: start, receivedAt, interval: '1m', start, end, open, high, low, close, volume: num(item['6']), closed: end <= serverTs };
  }

  private book(item: Item, serverTs: number, receivedAt: number): MarketEvent | null {
    const symbol = occSymbolOf(String(item.key));
    const bids = levels(item['2']).sort((a, b) => b[0] - a[0]);
    const asks = levels(item['3']).sort((a, b) => a[0] - b[0]);
    const ts = num(item['1']);
    const option = optionOf(symbol, null);
    const event: MarketEvent = { type: 'book', provider: this.provider, symbol, ts: ts !== null && ts > 0 ? ts : serverTs, receivedAt, bids, asks, depth: Math.max(bids.length, asks.length) };
    if (option) event.option = option;
    return event;
  }
}

function isService(name: string): name is SchwabService {
  return (SCHWAB_SERVICES as readonly string[]).includes(name);
}

/** Numbers are finite numbers, text is text, book sides are lists of {0: price, 1: size, …} with numbers. */
function fieldsReadable(service: SchwabService, item: Item): boolean {
  const numeric = NUMERIC_FIELDS[service];
  const text = TEXT_FIELDS[service];
  const book = service === 'NASDAQ_BOOK' || service === 'NYSE_BOOK' || service === 'OPTIONS_BOOK';
  for (const [field, value] of Object.entries(item)) {
    if (book && LEVEL_FIELDS.has(field)) {
      if (!Array.isArray(value) || !value.every((level) => level && typeof level === 'object' && isFiniteNumber((level as Item)['0']) && isFiniteNumber((level as Item)['1']))) return false;
    } else if (numeric.has(field)) {
      if (!isFiniteNumber(value)) return false;
    } else if (text.has(field) && typeof value !== 'string') {
      return false;
    }
  }
  return true;
}

function isFiniteNumber(value: unknown): boolean {
  return typeof value === 'number' && Number.isFinite(value);
}

function levels(raw: unknown): BookLevel[] {
  if (!Array.isArray(raw)) return [];
  const out: BookLevel[] = [];
  for (const level of raw) {
    if (!level || typeof level !== 'object') continue;
    const price = price0((level as Item)['0']);
    const size = num((level as Item)['1']);
    if (price !== null && size !== null && size > 0) out.push([price, size]);
  }
  return out;
}

/** Parsed OCC symbols (null: not an option), once per key; the set is bounded by what was subscribed. */
const occCache = new Map<string, OccParts | null>();

function occParts(key: string): OccParts | null {
  let parts = occCache.get(key);
  if (parts === undefined) {
    parts = parseOccSymbol(key);
    if (occCache.size > 10_000) occCache.clear();
    occCache.set(key, parts);
  }
  return parts;
}

/** Schwab's option key as the canonical OCC symbol (they agree when Schwab pads the root to six). */
function occSymbolOf(key: string): string {
  const parts = occParts(key);
  return parts ? formatOccSymbol(parts) : key;
}

function optionOf(symbol: string, multiplier: number | null): OptionInfo | undefined {
  const parts = occParts(symbol);
  return parts ? optionInfoFromOcc(parts, multiplier !== null && multiplier > 0 ? multiplier : 100) : undefined;
}

function touches(changed: Set<string>, fields: string[]): boolean {
  return fields.some((field) => changed.has(field));
}

function num(value: unknown): number | null {
  return typeof value === 'number' && Number.isFinite(value) ? value : null;
}

/** A price: Schwab sends 0 for "none yet" (high, low and open before the first trade), which is not a price. */
function price0(value: unknown): number | null {
  const n = num(value);
  return n !== null && n > 0 ? n : null;
}

/** A model value (greeks, theo, volatility): Schwab marks values it could not compute with -999. */
function model(value: unknown): number | null {
  const n = num(value);
  return n === null || n === -999 ? null : n;
}

/** The latest positive time among the fields, epoch ms. */
function latest(image: Item, fields: string[]): number | null {
  const times = fields.map((field) => num(image[field])).filter((t): t is number => t !== null && t > 0);
  return times.length > 0 ? Math.max(...times) : null;
}

/** Adds the non-empty text fields to an event. */
function withText<T extends MarketEvent>(event: T, fields: Record<string, unknown>): T {
  const target = event as T & Record<string, unknown>;
  for (const [name, value] of Object.entries(fields)) if (typeof value === 'string' && value.trim() !== '') target[name] = value;
  return event;
}
