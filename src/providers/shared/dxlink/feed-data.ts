/**
 * The FEED service's data frames (docs/protocols/dxlink-tastytrade.md §3.3, §9): FEED_CONFIG says
 * the format and the field order; FEED_DATA carries events either FULL (objects) or COMPACT
 * (`["Quote", [v1, v2, ...], "Trade", [...]]`, values in FEED_CONFIG.eventFields order).
 *
 * Servers have been seen to ignore the requested format and to switch format mid-session, so
 * the shape of each payload decides how it is read, and COMPACT pairs are all read (the
 * library's own feed reads only the first pair).
 */

export type DxValue = number | string | boolean | null;
/** One decoded DXLink event: `eventType`, `eventSymbol` and whatever fields the server sent. */
export type DxRecord = { eventType: string; eventSymbol: string } & Record<string, DxValue>;

export interface FeedConfigMessage {
  dataFormat?: string;
  aggregationPeriod?: number;
  eventFields?: Record<string, string[]>;
}

export interface DecodeResult {
  records: DxRecord[];
  /** What could not be read, one line each (logged and reported as PROTOCOL errors). */
  problems: string[];
}

/** Event fields we ask for, per event type; the server's FEED_CONFIG has the final word on order. */
export const REQUESTED_FIELDS: Readonly<Record<string, readonly string[]>> = {
  Quote: ['eventType', 'eventSymbol', 'eventTime', 'bidTime', 'bidExchangeCode', 'bidPrice', 'bidSize', 'askTime', 'askExchangeCode', 'askPrice', 'askSize'],
  Trade: ['eventType', 'eventSymbol', 'eventTime', 'time', 'exchangeCode', 'price', 'size', 'dayVolume'],
  TimeAndSale: ['eventType', 'eventSymbol', 'eventTime', 'eventFlags', 'time', 'exchangeCode', 'price', 'size', 'aggressorSide', 'exchangeSaleConditions', 'type'],
  Candle: ['eventType', 'eventSymbol', 'eventTime', 'eventFlags', 'time', 'open', 'high', 'low', 'close', 'volume'],
  Greeks: ['eventType', 'eventSymbol', 'eventTime', 'eventFlags', 'time', 'volatility', 'delta', 'gamma', 'theta', 'rho', 'vega'],
  TheoPrice: ['eventType', 'eventSymbol', 'eventTime', 'eventFlags', 'time', 'price', 'underlyingPrice', 'delta', 'gamma', 'dividend', 'interest'],
  Underlying: ['eventType', 'eventSymbol', 'eventTime', 'eventFlags', 'time', 'volatility', 'frontVolatility', 'backVolatility', 'callVolume', 'putVolume', 'putCallRatio'],
  Summary: ['eventType', 'eventSymbol', 'eventTime', 'dayOpenPrice', 'dayHighPrice', 'dayLowPrice', 'prevDayClosePrice', 'openInterest'],
};

/** Reads FEED_DATA of one FEED channel, following its FEED_CONFIG messages. */
export class FeedDataDecoder {
  private eventFields: Record<string, string[]> = {};
  private readonly requested: Readonly<Record<string, readonly string[]>>;

  constructor(requested: Readonly<Record<string, readonly string[]>> = REQUESTED_FIELDS) {
    this.requested = requested;
  }

  /** FEED_CONFIG: field lists accumulate (a later config may name only some types). False (and nothing taken) when they are not lists of names. */
  applyConfig(config: FeedConfigMessage): boolean {
    const fields: unknown = config.eventFields;
    if (fields === undefined) return true;
    if (fields === null || typeof fields !== 'object' || Array.isArray(fields)) return false;
    const lists = Object.values(fields as Record<string, unknown>);
    if (!lists.every((list) => Array.isArray(list) && list.length > 0 && list.every((name) => typeof name === 'string'))) return false;
    this.eventFields = { ...this.eventFields, ...(fields as Record<string, string[]>) };
    return true;
  }

  /** A new channel: forget the previous channel's field lists. */
  reset(): void {
    this.eventFields = {};
  }

  decode(data: unknown): DecodeResult {
    const result: DecodeResult = { records: [], problems: [] };
    if (!Array.isArray(data) || data.length === 0) {
      result.problems.push('FEED_DATA without a data array');
      return result;
    }
    if (typeof data[0] === 'object' && data[0] !== null) {
      for (const item of data) {
        if (!isRecord(item)) result.problems.push('FEED_DATA (FULL) entry without eventType and eventSymbol');
        else if (!Object.values(item).every(isWireValue)) result.problems.push(`FEED_DATA (FULL) ${item.eventType}: a value that is not a number, text or boolean`);
        else result.records.push(item);
      }
      return result;
    }
    for (let i = 0; i < data.length; i += 2) {
      const eventType = data[i];
      const values = data[i + 1];
      if (typeof eventType !== 'string' || !Array.isArray(values)) {
        result.problems.push(`FEED_DATA (COMPACT) pair ${i / 2 + 1} is not ["<EventType>", [values]]`);
        break;
      }
      this.decodeCompact(eventType, values, result);
    }
    return result;
  }

  private decodeCompact(eventType: string, values: unknown[], result: DecodeResult): void {
    // tastytrade's documented exchange sends COMPACT data before any FEED_CONFIG with eventFields;
    // the values then follow the order we asked for (docs/protocols/dxlink-tastytrade.md §3.3, §3.5).
    const fields = this.eventFields[eventType] ?? this.requested[eventType];
    if (!fields || fields.length === 0) {
      result.problems.push(`FEED_DATA ${eventType}: no field list from FEED_CONFIG, values skipped`);
      return;
    }
    if (values.length % fields.length !== 0) {
      result.problems.push(`FEED_DATA ${eventType}: ${values.length} values do not split into events of ${fields.length} fields (${fields.join(',')}); frame skipped`);
      return;
    }
    if (!values.every(isWireValue)) {
      result.problems.push(`FEED_DATA ${eventType}: a value that is not a number, text or boolean (or a number too large for a double); frame skipped`);
      return;
    }
    const records: DxRecord[] = [];
    for (let start = 0; start < values.length; start += fields.length) {
      const record: Record<string, DxValue> = { eventType };
      fields.forEach((field, offset) => {
        record[field] = toDxValue(values[start + offset]);
      });
      if (record.eventType !== eventType || typeof record.eventSymbol !== 'string') {
        result.problems.push(`FEED_DATA ${eventType}: values are not aligned with the field list (${fields.join(',')}); frame skipped`);
        return;
      }
      records.push(record as DxRecord);
    }
    result.records.push(...records);
  }
}

/** A JSONDouble: a finite number, or null for "NaN", "Infinity", "-Infinity" and anything missing. */
export function dxNumber(value: DxValue | undefined): number | null {
  return typeof value === 'number' && Number.isFinite(value) ? value : null;
}

/** A text field, or undefined when empty or the NUL placeholder DXLink uses for "no exchange". */
export function dxText(value: DxValue | undefined): string | undefined {
  return typeof value === 'string' && value !== '' && value !== '\u0000' ? value : undefined;
}

function toDxValue(value: unknown): DxValue {
  return typeof value === 'number' || typeof value === 'string' || typeof value === 'boolean' ? value : null;
}

/** What DXLink sends as a value: a finite number, text ("NaN", "Infinity" included), a boolean, or null. */
function isWireValue(value: unknown): boolean {
  return typeof value === 'number' ? Number.isFinite(value) : value === null || typeof value === 'string' || typeof value === 'boolean';
}

function isRecord(value: unknown): value is DxRecord {
  if (typeof value !== 'object' || value === null) return false;
  const candidate = value as { eventType?: unknown; eventSymbol?: unknown };
  return typeof candidate.eventType === 'string' && typeof candidate.eventSymbol === 'string';
}
