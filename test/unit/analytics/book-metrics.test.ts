import assert from 'node:assert/strict';
import { BookAnalyzer, bookMetrics, type BookSettings } from '../../../src/analytics/book-metrics';
import { ThresholdAlert } from '../../../src/analytics/threshold-alert';
import type { BookEvent, BookLevel } from '../../../src/model/events';

const T0 = Date.UTC(2026, 10, 20, 15, 0, 0);

function book(ts: number, bids: BookLevel[], asks: BookLevel[], symbol = 'BTC-USD'): BookEvent {
  return { type: 'book', provider: 'test', symbol, ts, receivedAt: ts, bids, asks, depth: Math.max(bids.length, asks.length) };
}

/** A book with the given top-of-book sizes: spread and imbalance steered by hand. */
function shaped(ts: number, bid: number, ask: number, bidSize: number, askSize: number, symbol?: string): BookEvent {
  return book(ts, [[bid, bidSize]], [[ask, askSize]], symbol);
}

describe('book metrics', () => {
  // bids 100 × 3, 99.5 × 5, 99 × 2; asks 100.5 × 1, 101 × 4, 102 × 10
  const small = book(T0, [[100, 3], [99.5, 5], [99, 2]], [[100.5, 1], [101, 4], [102, 10]]);

  it('works out spread, microprice, imbalance, notional and depth on a small book by hand', () => {
    const m = bookMetrics(small, 2, 60);
    assert.equal(m.bestBid, 100);
    assert.equal(m.bestBidSize, 3);
    assert.equal(m.bestAsk, 100.5);
    assert.equal(m.bestAskSize, 1);
    assert.equal(m.mid, 100.25);
    assert.equal(m.spread, 0.5);
    assert.equal(m.spreadPct, 0.498753117207, '0.5 / 100.25 × 100');
    assert.equal(m.spreadBps, 49.8753117207);
    // (100 × 1 + 100.5 × 3) / (3 + 1): three times more bid than ask pulls the fair price up to the ask.
    assert.equal(m.microprice, 100.375);
    // Top 2 levels: B = 3 + 5 = 8, A = 1 + 4 = 5.
    assert.equal(m.levels, 2);
    assert.equal(m.bidSize, 8);
    assert.equal(m.askSize, 5);
    assert.equal(m.imbalance, 0.230769230769, '(8 − 5) / 13');
    assert.equal(m.bidAskRatio, 1.6);
    assert.equal(m.bidNotional, 797.5, '100 × 3 + 99.5 × 5');
    assert.equal(m.askNotional, 504.5, '100.5 × 1 + 101 × 4');
    assert.deepEqual(m.bidDepth, [3, 8]);
    assert.deepEqual(m.askDepth, [1, 5]);
    // 60 bps of 100.25 = 0.6015: bids from 99.6485, asks up to 100.8515.
    assert.equal(m.bandBps, 60);
    assert.equal(m.bidSizeInBand, 3);
    assert.equal(m.askSizeInBand, 1);
  });

  it('counts every level of the msg inside the band, edges included, whatever N', () => {
    // 100 bps of 100.25 = 1.0025: bids ≥ 99.2475 (100, 99.5), asks ≤ 101.2525 (100.5, 101).
    const wide = bookMetrics(small, 1, 100);
    assert.equal(wide.bidSizeInBand, 8);
    assert.equal(wide.askSizeInBand, 5);
    // mid 100, 50 bps = 0.5: the levels at exactly 99.5 and 100.5 are in.
    const edges = bookMetrics(book(T0, [[99.9, 1], [99.5, 2], [99.4, 4]], [[100.1, 1], [100.5, 2], [100.6, 4]]), 10, 50);
    assert.equal(edges.bidSizeInBand, 3);
    assert.equal(edges.askSizeInBand, 3);
    assert.equal(edges.levels, 3, 'N is capped by the levels the book has');
  });

  it('gives null, not 0, for what a one-sided book cannot say', () => {
    const m = bookMetrics(book(T0, [[100, 3]], []), 10, 10);
    assert.equal(m.bestAsk, null);
    assert.equal(m.mid, null);
    assert.equal(m.spread, null);
    assert.equal(m.spreadBps, null);
    assert.equal(m.microprice, null);
    assert.equal(m.bidAskRatio, null);
    assert.equal(m.imbalance, 1, 'all bids');
    assert.equal(m.bidSizeInBand, null);
    assert.equal(m.askNotional, 0, 'no asks: nothing resting, a real zero');
    assert.equal(bookMetrics(book(T0, [], []), 10, 10).imbalance, null);
  });

  it('removes binary noise from differences of decimal prices', () => {
    const m = bookMetrics(book(T0, [[3500, 1]], [[3500.05, 1]]), 10, 10);
    assert.equal(m.spread, 0.05, '3500.05 − 3500 is 0.0500000000001819 in binary');
    assert.equal(m.mid, 3500.025);
    assert.equal(m.spreadBps, 0.142856122456, '0.05 / 3500.025 × 10,000');
  });
});

describe('ThresholdAlert', () => {
  it('fires on the way up, re-arms only below threshold × (1 − hysteresis), and keeps the cooldown', () => {
    const alert = new ThresholdAlert(10, 0.2, 30_000);
    const fired = (value: number, at: number) => alert.update(value, at);
    assert.equal(fired(9, 0), false);
    assert.equal(fired(10, 1_000), false, 'at the threshold is not above it');
    assert.equal(fired(10.5, 2_000), true);
    assert.equal(fired(12, 3_000), false, 'still above: one alert per crossing');
    assert.equal(fired(8.5, 4_000), false, 'inside the hysteresis band: not re-armed');
    assert.equal(fired(11, 40_000), false, 'cooldown passed, but never re-armed');
    assert.equal(fired(8, 41_000), false, 're-armed at 8 = 10 × 0.8');
    assert.equal(fired(11, 42_000), true, 'crossed again after the cooldown');
    assert.equal(fired(7, 43_000), false);
    assert.equal(fired(11, 50_000), false, 'crossed again inside the cooldown: held back');
    assert.equal(fired(11, 71_999), false);
    assert.equal(fired(11, 72_000), true, 'still above when the cooldown ends: fires then');
  });

  it('is off at threshold 0', () => {
    const alert = new ThresholdAlert(0, 0.2, 0);
    assert.equal(alert.enabled, false);
    assert.equal(alert.update(1e9, 0), false);
  });
});

describe('BookAnalyzer', () => {
  const settings = (extra: Partial<BookSettings> = {}): Partial<BookSettings> => ({ levels: 10, bandBps: 10, rateMs: 1_000, spreadBpsAlert: 0, imbalanceAlert: 0, hysteresis: 0.2, cooldownMs: 30_000, ...extra });

  it('rate-limits metrics per symbol in book time: the first book after rateMs goes out', () => {
    const analyzer = new BookAnalyzer(settings());
    const sent: number[] = [];
    for (let t = 0; t <= 3_000; t += 200) {
      for (const symbol of ['A', 'B']) {
        const result = analyzer.onBook(shaped(T0 + t, 100, 100.1, 5, 5, symbol));
        if (result.metrics) sent.push(t);
      }
    }
    assert.deepEqual(sent, [0, 0, 1000, 1000, 2000, 2000, 3000, 3000]);
    const every = new BookAnalyzer(settings({ rateMs: 0 }));
    assert.ok([0, 1, 2].every((t) => every.onBook(shaped(T0 + t, 100, 100.1, 5, 5)).metrics !== null), 'rateMs 0: every book');
  });

  it('alerts when the spread crosses above the threshold, with hysteresis and cooldown, on every book regardless of the rate', () => {
    const analyzer = new BookAnalyzer(settings({ spreadBpsAlert: 10, rateMs: 60_000 }));
    // Spread in bps of mid for a bid of 100: ask 100.05 ≈ 5 bps, 100.15 ≈ 15 bps, 100.09 ≈ 9 bps, 100.07 ≈ 7 bps.
    const spreads: Array<[number, number]> = [
      [0, 100.05],
      [1_000, 100.15], // alert
      [2_000, 100.05],
      [3_000, 100.15], // held back by the cooldown; re-armed at 2 s though
      [31_000, 100.15], // cooldown over, still above: alert
      [32_000, 100.09], // 9 bps: above the re-arm level of 8 bps
      [40_000, 100.15], // not re-armed: nothing
      [41_000, 100.07],
      [70_000, 100.15], // re-armed and cooled down: alert
    ];
    const alerts = spreads.flatMap(([t, ask]) => analyzer.onBook(shaped(T0 + t, 100, ask, 5, 5)).alerts.map((a) => ({ t, ...a })));
    assert.deepEqual(alerts.map((a) => [a.t, a.kind]), [[1_000, 'spread'], [31_000, 'spread'], [70_000, 'spread']]);
    const first = alerts[0]!;
    assert.equal(first.value, 14.9887584312, '0.15 / 100.075 × 10,000 = 14.98875843117…');
    assert.equal(first.threshold, 10);
    assert.equal(first.rearmAt, 8);
    assert.equal(first.symbol, 'BTC-USD');
    assert.match(first.detail, /BTC-USD: spread 14.9887584312 bps > 10 bps/);
  });

  it('alerts on |imbalance| over the top N levels either way and names the heavier side', () => {
    const analyzer = new BookAnalyzer(settings({ imbalanceAlert: 0.6, levels: 2, cooldownMs: 0 }));
    const at = (t: number, bids: BookLevel[], asks: BookLevel[]) => analyzer.onBook(book(T0 + t, bids, asks)).alerts;
    assert.deepEqual(at(0, [[100, 4], [99, 4]], [[101, 1], [102, 1], [103, 100]]), [], '(8 − 2) / 10 = 0.6 exactly is not above 0.6; level 3 is outside N');
    const up = at(1, [[100, 9], [99, 0.5]], [[101, 1], [102, 1]]); // (9.5 − 2) / 11.5 = 0.652…
    assert.equal(up.length, 1);
    assert.equal(up[0]!.heavierSide, 'bid');
    assert.equal(up[0]!.value, 0.652173913043);
    assert.deepEqual(at(2, [[100, 1]], [[101, 1]]), [], 're-arms at 0');
    const down = at(3, [[100, 1]], [[101, 9]]); // (1 − 9) / 10 = −0.8
    assert.deepEqual([down[0]!.value, down[0]!.heavierSide], [-0.8, 'ask']);
  });

  it('never computes on a book out of sync: a resyncing status alerts, the next book alerts synced and is sent at once', () => {
    const analyzer = new BookAnalyzer(settings({ rateMs: 10_000 }));
    assert.notEqual(analyzer.onBook(shaped(T0, 100, 100.1, 5, 5)).metrics, null);
    assert.equal(analyzer.isSynced('BTC-USD'), true);
    const lost = analyzer.onStatus({ state: 'resyncing', symbol: 'BTC-USD', ts: T0 + 100, detail: 'sequence gap' });
    assert.deepEqual(lost, [{ type: 'alert', kind: 'sync', state: 'resyncing', provider: 'test', symbol: 'BTC-USD', ts: T0 + 100, detail: 'BTC-USD: book out of sync (sequence gap); no metrics until it is whole again' }]);
    assert.equal(analyzer.isSynced('BTC-USD'), false);
    assert.equal(analyzer.outOfSync, 1);
    assert.deepEqual(analyzer.onStatus({ state: 'resyncing', symbol: 'BTC-USD', ts: T0 + 150 }), [], 'already out of sync: one alert');
    assert.deepEqual(analyzer.onStatus({ state: 'synced', symbol: 'BTC-USD', ts: T0 + 180 }), [], 'a book msg, not a status, brings it back');
    const back = analyzer.onBook(shaped(T0 + 200, 100, 100.1, 5, 5));
    assert.deepEqual(back.alerts.map((a) => [a.kind, a.state]), [['sync', 'synced']]);
    assert.notEqual(back.metrics, null, 'sent at once, although 10 s have not passed');
    assert.equal(analyzer.outOfSync, 0);
  });

  it('marks every book out of sync when the connection is lost, and ignores states that do not affect books', () => {
    const analyzer = new BookAnalyzer(settings());
    analyzer.onBook(shaped(T0, 100, 100.1, 5, 5, 'A'));
    analyzer.onBook(shaped(T0, 100, 100.1, 5, 5, 'B'));
    assert.deepEqual(analyzer.onStatus({ state: 'connected', ts: T0 + 1 }), []);
    assert.deepEqual(analyzer.onStatus({ state: 'resyncing', symbol: 'NEVER-SEEN', ts: T0 + 1 }), []);
    const alerts = analyzer.onStatus({ state: 'reconnecting', ts: T0 + 2 });
    assert.deepEqual(alerts.map((a) => [a.symbol, a.state]), [['A', 'resyncing'], ['B', 'resyncing']]);
    assert.match(alerts[0]!.detail, /connection reconnecting/);
  });

  it('refuses a crossed book, with one alert per cooldown', () => {
    const analyzer = new BookAnalyzer(settings({ rateMs: 0 }));
    const crossed = analyzer.onBook(shaped(T0, 100.2, 100.1, 5, 5));
    assert.equal(crossed.metrics, null);
    assert.deepEqual(crossed.alerts.map((a) => a.kind), ['crossed']);
    assert.match(crossed.alerts[0]!.detail, /crossed book: best bid 100.2 ≥ best ask 100.1/);
    assert.deepEqual(analyzer.onBook(shaped(T0 + 1, 100.2, 100.1, 5, 5)).alerts, []);
    assert.notEqual(analyzer.onBook(shaped(T0 + 2, 100, 100.1, 5, 5)).metrics, null);
  });

  it('forgets symbols without a book for 15 minutes', () => {
    const analyzer = new BookAnalyzer(settings());
    for (let i = 0; i < 50; i++) analyzer.onBook(shaped(T0, 100, 100.1, 5, 5, `S${i}`));
    assert.equal(analyzer.symbols, 50);
    analyzer.onBook(shaped(T0 + 16 * 60_000, 100, 100.1, 5, 5, 'S0'));
    assert.equal(analyzer.symbols, 1);
  });
});
