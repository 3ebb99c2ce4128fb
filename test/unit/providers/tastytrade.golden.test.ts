/**
 * Golden tests: the recorded DXLink frames (test/fakes/dxlink/samples/dxlink-tastytrade.ndjson,
 * provenance in its SOURCES.md) decode to the normalized events worked out by hand below.
 */
import assert from 'node:assert/strict';
import { FeedDataDecoder, type FeedConfigMessage } from '../../../src/providers/shared/dxlink/feed-data';
import { defaultSymbolRef, normalizeDxRecord } from '../../../src/providers/shared/dxlink/decode';
import { canonicalDxlinkSymbol, parseCandleSymbol, toDxlinkSymbol, toStreamerOptionSymbol } from '../../../src/providers/shared/dxlink/symbols';
import type { MarketEvent } from '../../../src/model/events';
import { sampleLine } from '../../fakes/samples';

const R = Date.UTC(2026, 10, 20, 15, 0, 0);
const line = (n: number) => sampleLine('dxlink', 'dxlink-tastytrade.ndjson', n);

function decode(decoder: FeedDataDecoder, frame: Record<string, unknown>): { events: MarketEvent[]; problems: string[] } {
  const { records, problems } = decoder.decode(frame.data);
  const events = records.map((record) => normalizeDxRecord(record, { provider: 'tastytrade', receivedAt: R, resolve: defaultSymbolRef })).filter((e): e is MarketEvent => e !== null);
  return { events, problems };
}

describe('tastytrade / DXLink recorded frames (golden)', () => {
  it('line 11: COMPACT Trade before any eventFields, in the order line 8 asked for; a print without size is not a trade', () => {
    const setup = line(8) as { acceptEventFields: Record<string, string[]> };
    const decoder = new FeedDataDecoder(setup.acceptEventFields);
    decoder.applyConfig(line(9) as FeedConfigMessage);
    const { events, problems } = decode(decoder, line(11));
    assert.deepEqual(problems, []);
    // SPY: price 559.36, dayVolume 1.3743299E7, size 100. BTC/USD:CXTALP: size "NaN" → no print.
    assert.deepEqual(events, [{ type: 'trade', provider: 'tastytrade', symbol: 'SPY', ts: R, receivedAt: R, price: 559.36, size: 100 }]);
  });

  it('lines 14–15: COMPACT quotes in FEED_CONFIG order; "NaN" sizes and empty exchange codes are missing, zero times fall back to receivedAt', () => {
    const decoder = new FeedDataDecoder();
    decoder.applyConfig(line(14) as FeedConfigMessage);
    const { events, problems } = decode(decoder, line(15));
    assert.deepEqual(problems, []);
    assert.deepEqual(events, [
      { type: 'quote', provider: 'tastytrade', symbol: 'AAPL', ts: R, receivedAt: R, bid: 168.4, bidSize: 51, ask: 168.46, askSize: 10, bidExchange: 'Q', askExchange: 'Q' },
      { type: 'quote', provider: 'tastytrade', symbol: 'SPX', ts: R, receivedAt: R, bid: 4979.73, bidSize: null, ask: 5064.47, askSize: null },
    ]);
  });

  it('line 16: FULL data on a COMPACT channel is read by its shape; SPXW streamer symbols become OCC with the SPX underlying', () => {
    const decoder = new FeedDataDecoder();
    decoder.applyConfig(line(14) as FeedConfigMessage);
    const { events, problems } = decode(decoder, line(16));
    assert.deepEqual(problems, []);
    const option = (strike: number) => ({ underlying: 'SPX', root: 'SPXW', expiry: '2024-04-17', right: 'call', strike, multiplier: 100 });
    assert.deepEqual(events, [
      { type: 'quote', provider: 'tastytrade', symbol: 'SPXW  240417C01400000', ts: R, receivedAt: R, bid: 3615.7, bidSize: null, ask: 3639.7, askSize: null, bidExchange: 'C', askExchange: 'C', option: option(1400) },
      { type: 'quote', provider: 'tastytrade', symbol: 'SPXW  240417C02400000', ts: R, receivedAt: R, bid: 2615.3, bidSize: null, ask: 2639.3, askSize: null, bidExchange: 'C', askExchange: 'C', option: option(2400) },
    ]);
  });

  it('lines 17–18: the spec example\'s values do not line up with its field list, so nothing is emitted and both pairs are reported', () => {
    const decoder = new FeedDataDecoder();
    decoder.applyConfig(line(17) as FeedConfigMessage);
    const { events, problems } = decode(decoder, line(18));
    assert.deepEqual(events, []);
    assert.equal(problems.length, 2);
    assert.match(problems[0]!, /Quote: 8 values do not split into events of 6 fields/);
    assert.match(problems[1]!, /Trade: values are not aligned/);
  });

  it('reads every pair of a multi-pair COMPACT frame (the JS library reads only the first)', () => {
    const decoder = new FeedDataDecoder();
    decoder.applyConfig({ eventFields: { Quote: ['eventType', 'eventSymbol', 'bidPrice', 'askPrice', 'bidSize', 'askSize'], Trade: ['eventType', 'eventSymbol', 'price', 'size', 'time'] } });
    const { events } = decode(decoder, { data: ['Quote', ['Quote', 'AAPL', 123, 124, 5, 'NaN'], 'Trade', ['Trade', 'AAPL', 123.5, 200, 1715777953982, 'Trade', 'AMZN', 180.1, 'NaN', 0]] });
    assert.deepEqual(events, [
      { type: 'quote', provider: 'tastytrade', symbol: 'AAPL', ts: R, receivedAt: R, bid: 123, bidSize: 5, ask: 124, askSize: null },
      { type: 'trade', provider: 'tastytrade', symbol: 'AAPL', ts: 1715777953982, receivedAt: R, price: 123.5, size: 200 },
    ]);
  });

  it('normalizes Greeks (iv is already a fraction), TheoPrice, Underlying, Summary, TimeAndSale and Candle', () => {
    const decoder = new FeedDataDecoder();
    const frames: unknown[] = [
      ['Greeks', ['Greeks', '.AAPL250117C150', 0, 0, 1736870400000, 0.39, 0.55, 0.021, -0.08, 0.12, 0.3]],
      ['TheoPrice', ['TheoPrice', '.AAPL250117C150', 0, 0, 1736870400000, 12.35, 161.2, 0.55, 0.021, 0.005, 'NaN']],
      ['Underlying', ['Underlying', 'AAPL', 0, 0, 1736870400000, 0.27, 0.29, 'NaN', 120000, 95000, 0.79]],
      ['Summary', ['Summary', 'AAPL', 0, 'NaN', 'NaN', 'NaN', 160.12, 'NaN']],
      ['TimeAndSale', ['TimeAndSale', '.AAPL250117C150', 0, 0, 1736870401234, 'X', 12.4, 25, 'BUY', 'ISO', 'NEW', 'TimeAndSale', '.AAPL250117C150', 0, 0, 1736870401300, 'C', 12.3, 3, 'SELL', '', 'CANCEL']],
      ['Candle', ['Candle', 'AAPL{=5m}', 0, 0, 1736870100000, 160, 161, 159.5, 160.7, 1200, 'Candle', 'AAPL{=5m}', 0, 2, 1736870400000, 'NaN', 'NaN', 'NaN', 'NaN', 'NaN']],
    ];
    const events = frames.flatMap((data) => decode(decoder, { data }).events);
    const option = { underlying: 'AAPL', expiry: '2025-01-17', right: 'call', strike: 150, multiplier: 100 };
    const occ = 'AAPL  250117C00150000';
    assert.deepEqual(events, [
      { type: 'greeks', provider: 'tastytrade', symbol: occ, ts: 1736870400000, receivedAt: R, delta: 0.55, gamma: 0.021, theta: -0.08, vega: 0.3, rho: 0.12, iv: 0.39, option },
      { type: 'theo', provider: 'tastytrade', symbol: occ, ts: 1736870400000, receivedAt: R, price: 12.35, underlyingPrice: 161.2, delta: 0.55, gamma: 0.021, dividend: 0.005, interest: null, option },
      { type: 'underlying', provider: 'tastytrade', symbol: 'AAPL', ts: 1736870400000, receivedAt: R, volatility: 0.27, frontVolatility: 0.29, backVolatility: null, callVolume: 120000, putVolume: 95000, putCallRatio: 0.79 },
      { type: 'summary', provider: 'tastytrade', symbol: 'AAPL', ts: R, receivedAt: R, open: null, high: null, low: null, prevClose: 160.12, openInterest: null },
      // The CANCEL print is not a trade; an empty condition string is no condition.
      { type: 'trade', provider: 'tastytrade', symbol: occ, ts: 1736870401234, receivedAt: R, price: 12.4, size: 25, exchange: 'X', side: 'buy', conditions: ['ISO'], option },
      // The REMOVE_EVENT candle (eventFlags 2, NaN prices) is dropped; the bar that ended before R is closed.
      { type: 'candle', provider: 'tastytrade', symbol: 'AAPL', ts: 1736870100000, receivedAt: R, interval: '5m', start: 1736870100000, end: 1736870400000, open: 160, high: 161, low: 159.5, close: 160.7, volume: 1200, closed: true },
    ]);
  });

  it('maps symbols: OCC and streamer notation to padded OCC, and back for the wire', () => {
    assert.equal(canonicalDxlinkSymbol('tastytrade', '.AAPL250117C150'), 'AAPL  250117C00150000');
    assert.equal(canonicalDxlinkSymbol('tastytrade', '.aapl250117p152.5'), 'AAPL  250117P00152500');
    assert.equal(canonicalDxlinkSymbol('tastytrade', 'AAPL250117C00150000'), 'AAPL  250117C00150000');
    assert.equal(canonicalDxlinkSymbol('tastytrade', 'SPXW  240417C01400000'), 'SPXW  240417C01400000');
    assert.equal(canonicalDxlinkSymbol('tastytrade', ' spy '), 'SPY');
    assert.equal(canonicalDxlinkSymbol('tastytrade', 'BTC/USD:CXTALP'), 'BTC/USD:CXTALP');
    assert.throws(() => canonicalDxlinkSymbol('tastytrade', 'AAPL{=5m}'), /pick the interval in the node/);
    assert.equal(toDxlinkSymbol('AAPL  250117P00152500'), '.AAPL250117P152.5');
    assert.equal(toDxlinkSymbol('SPXW  240417C01400000'), '.SPXW240417C1400');
    assert.equal(toDxlinkSymbol('AAPL1 250117C00150000'), '.AAPL1250117C150');
    assert.equal(toStreamerOptionSymbol({ root: 'SPY', expiry: '2026-12-18', right: 'put', strike: 450 }), '.SPY261218P450');
    assert.deepEqual(parseCandleSymbol('SPY{=1h,tho=true}'), { symbol: 'SPY', interval: '1h' });
    assert.deepEqual(defaultSymbolRef('.AAPL1250117C150'), { symbol: 'AAPL1 250117C00150000' });
  });
});
