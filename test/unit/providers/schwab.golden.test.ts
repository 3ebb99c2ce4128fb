/**
 * Golden tests: the recorded Schwab streamer frames (test/fakes/schwab/samples/schwab.ndjson,
 * provenance in its SOURCES.md) decode to the normalized events worked out by hand below.
 */
import assert from 'node:assert/strict';
import { SchwabDecoder } from '../../../src/providers/schwab/decode';
import type { MarketEvent } from '../../../src/model/events';
import { sampleLine } from '../../fakes/samples';

const R = Date.UTC(2026, 10, 20, 15, 0, 0);
const line = (n: number) => sampleLine('schwab', 'schwab.ndjson', n);

function decodeLine(n: number, decoder = new SchwabDecoder()): MarketEvent[] {
  const frame = line(n) as { data: Array<Record<string, unknown>> };
  return frame.data.flatMap((entry) => decoder.decode(entry, R));
}

const base = (symbol: string) => ({ provider: 'schwab', symbol, receivedAt: R });

describe('schwab recorded frames (golden)', () => {
  it('line 9: CHART_EQUITY in the wire\'s field order (1 sequence, 2–5 OHLC, 6 volume, 7 bar start), closed by the frame time', () => {
    assert.deepEqual(decodeLine(9), [
      { type: 'candle', ...base('MSFT'), ts: 1715903940000, interval: '1m', start: 1715903940000, end: 1715904000000, open: 421.65, high: 421.79, low: 421.65, close: 421.755, volume: 26, closed: true },
      { type: 'candle', ...base('GOOG'), ts: 1715903940000, interval: '1m', start: 1715903940000, end: 1715904000000, open: 175.16, high: 175.21, low: 175.06, close: 175.06, volume: 145, closed: true },
    ]);
  });

  it('line 10: LEVELONE_EQUITIES full image → quote, last trade and summary; 0 for high/low/open is "none yet", not a price', () => {
    assert.deepEqual(decodeLine(10), [
      { type: 'quote', ...base('MSFT'), ts: 1715777955574, bid: 417.01, bidSize: 1, ask: 417.08, askSize: 0, bidExchange: 'Z', askExchange: 'Z' },
      { type: 'trade', ...base('MSFT'), ts: 1715777953982, price: 417.09, size: 10, exchange: 'Q' },
      { type: 'summary', ...base('MSFT'), ts: 1715777956144, open: null, high: null, low: null, prevClose: 415.81, volume: 162750 },
      { type: 'quote', ...base('GOOG'), ts: 1715777954819, bid: 172.75, bidSize: 0, ask: 172.77, askSize: 1, bidExchange: 'Z', askExchange: 'Q' },
      { type: 'trade', ...base('GOOG'), ts: 1715777950470, price: 172.7786, size: 15, exchange: 'L' },
      { type: 'summary', ...base('GOOG'), ts: 1715777956144, open: null, high: null, low: null, prevClose: 171.93, volume: 167934 },
    ]);
  });

  it('line 11: LEVELONE_OPTIONS → quote, trade, greeks (iv from percent to fraction) and summary, with OCC symbol and option fields', () => {
    const goog = { underlying: 'GOOG', expiry: '2024-05-17', right: 'call', strike: 70, multiplier: 100 };
    const msft = { underlying: 'MSFT', expiry: '2024-05-17', right: 'call', strike: 160, multiplier: 100 };
    const ts = 1715787814441;
    assert.deepEqual(decodeLine(11), [
      { type: 'quote', ...base('GOOG  240517C00070000'), option: goog, ts: 1715786878997, bid: 102.15, bidSize: 20, ask: 103.75, askSize: 20 },
      { type: 'trade', ...base('GOOG  240517C00070000'), option: goog, ts: 1714140219464, price: 103.07, size: 1 },
      { type: 'greeks', ...base('GOOG  240517C00070000'), option: goog, ts, delta: 0.99961827, gamma: 2.799e-5, theta: -0.01339331, vega: 0.00018508, rho: 0.00434917, iv: 354.99208367 / 100, theo: 103.02414938, underlyingPrice: 172.9299 },
      { type: 'summary', ...base('GOOG  240517C00070000'), option: goog, ts, open: null, high: null, low: null, prevClose: 101.9504, volume: 0, openInterest: 5 },
      { type: 'quote', ...base('MSFT  240517C00160000'), option: msft, ts: 1715786912341, bid: 259.9, bidSize: 52, ask: 262.1, askSize: 51 },
      { type: 'trade', ...base('MSFT  240517C00160000'), option: msft, ts: 1715696927227, price: 255.53, size: 1 },
      { type: 'greeks', ...base('MSFT  240517C00160000'), option: msft, ts, delta: 1, gamma: 0, theta: 0, vega: 0, rho: 0, iv: 355.24400385 / 100, theo: 261.39, underlyingPrice: 421.38 },
      { type: 'summary', ...base('MSFT  240517C00160000'), option: msft, ts, open: null, high: null, low: null, prevClose: 256.56, volume: 0, openInterest: 2 },
    ]);
  });

  it('line 11 then a change: only the changed fields arrive, merged onto the image, and only their event types are emitted', () => {
    const decoder = new SchwabDecoder();
    decodeLine(11, decoder);
    const events = decoder.decode({ service: 'LEVELONE_OPTIONS', timestamp: 1715787815000, command: 'SUBS', content: [{ key: 'GOOG  240517C00070000', '2': 102.2, '38': 1715787814999 }] }, R);
    assert.deepEqual(events, [
      { type: 'quote', ...base('GOOG  240517C00070000'), option: { underlying: 'GOOG', expiry: '2024-05-17', right: 'call', strike: 70, multiplier: 100 }, ts: 1715787814999, bid: 102.2, bidSize: 20, ask: 103.75, askSize: 20 },
    ]);
  });

  it('lines 12–14: services the pack does not stream (futures, futures options, screener) give no events', () => {
    assert.deepEqual([12, 13, 14].flatMap((n) => decodeLine(n)), []);
  });

  it('line 15: NASDAQ_BOOK whole snapshots → books best first, with the snapshot time', () => {
    assert.deepEqual(decodeLine(15), [
      { type: 'book', ...base('MSFT'), ts: 1590532442608, bids: [[181.77, 100], [181.75, 545], [157, 100]], asks: [[181.95, 100], [181.98, 48], [182.3, 100], [186.8, 700]], depth: 4 },
      { type: 'book', ...base('GOOG'), ts: 1590532323728, bids: [[1418, 1], [1417.26, 100], [1417.25, 100], [1400.88, 100]], asks: [[1421, 300], [1421.73, 10]], depth: 4 },
    ]);
  });
});
