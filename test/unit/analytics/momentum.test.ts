import assert from 'node:assert/strict';
import { EmaCrossover, MomentumTracker, RateOfChange, ReturnZScore, SignalStateMachine, VwapDeviation, type Bar, type SignalEvent, type SignalSettings } from '../../../src/analytics/momentum';
import type { CandleEvent, MarketEvent, QuoteEvent, TradeEvent } from '../../../src/model/events';

const T0 = Date.UTC(2026, 10, 20, 15, 0, 0);

/** Closed 1-second candles with the given closes; candle k spans [T0 + k s, T0 + (k + 1) s). */
function candles(closes: number[], symbol = 'BTC-USD'): CandleEvent[] {
  return closes.map((close, k) => ({
    type: 'candle',
    provider: 'test',
    symbol,
    ts: T0 + (k + 1) * 1000,
    receivedAt: T0,
    interval: '1s',
    start: T0 + k * 1000,
    end: T0 + (k + 1) * 1000,
    open: close,
    high: close,
    low: close,
    close,
    volume: 1,
    closed: true,
  }));
}

function run(settings: Partial<SignalSettings>, events: MarketEvent[]): SignalEvent[] {
  const tracker = new MomentumTracker(settings);
  return events.map((e) => tracker.onEvent(e)).filter((s): s is SignalEvent => s !== null);
}

const bar = (close: number, volume = 1, pv = close * volume): Bar => ({ start: 0, end: 1, close, volume, pv });

describe('momentum', () => {
  describe('EMA crossover and cooldown timing on a short series', () => {
    // fast 2 bars (α = 2/3), slow 4 bars (α = 2/5), threshold 0, no hysteresis, 1-s candles.
    // closes:  100 100 100 100 | 104 104  96  96  96  96 104
    // bar end:   1   2   3   4 |   5   6   7   8   9  10  11  (s after T0)
    // bar 5: fast 102.6667, slow 101.6    → +1.0498687664 %  → buy
    // bar 7: fast  98.5185, slow  99.936  → −1.4184 %        → sell wanted
    // bar 8: fast  96.8395, slow  98.3616 → −1.5474472 %     → sell
    // bar 11: fast 101.3644, slow 99.7101 → +1.6590 %        → buy
    const closes = [100, 100, 100, 100, 104, 104, 96, 96, 96, 96, 104];
    const base: Partial<SignalSettings> = { method: 'ema', source: 'candle', fast: 2, slow: 4, threshold: 0, hysteresis: 0 };

    it('without a cooldown: buy at bar 5, sell at bar 7, buy at bar 11', () => {
      const signals = run({ ...base, cooldownMs: 0 }, candles(closes));
      assert.deepEqual(signals.map((s) => [(s.ts - T0) / 1000, s.previous, s.side]), [
        [5, 'flat', 'buy'],
        [7, 'buy', 'sell'],
        [11, 'sell', 'buy'],
      ]);
      assert.ok(Math.abs(signals[0]!.value - 1.0498687664) < 1e-8, String(signals[0]!.value));
      assert.equal(signals[0]!.price, 104);
      assert.equal(signals[0]!.method, 'ema');
      assert.match(signals[0]!.reason, /^buy: EMA\(2\) 102.666667 vs EMA\(4\) 101.6: \+1.0499 %, above \+0 %$/);
      assert.ok(Math.abs(signals[1]!.value - -1.41839) < 1e-4, String(signals[1]!.value));
    });

    it('a 3 s cooldown holds the sell back from bar 7 to bar 8, then lets the buy at bar 11 through', () => {
      const signals = run({ ...base, cooldownMs: 3_000 }, candles(closes));
      assert.deepEqual(signals.map((s) => [(s.ts - T0) / 1000, s.side]), [
        [5, 'buy'],
        [8, 'sell'],
        [11, 'buy'],
      ]);
      assert.ok(Math.abs(signals[1]!.value - -1.5474472) < 1e-6, String(signals[1]!.value));
    });

    it('a 4 s cooldown delays the sell to bar 9 and, the crossover still holding, the buy to bar 13', () => {
      const signals = run({ ...base, cooldownMs: 4_000 }, candles([...closes, 104, 104]));
      assert.deepEqual(signals.map((s) => [(s.ts - T0) / 1000, s.side]), [
        [5, 'buy'],
        [9, 'sell'],
        [13, 'buy'],
      ]);
    });

    it('the EMAs by themselves', () => {
      const ema = new EmaCrossover(2, 4);
      const values = closes.slice(0, 5).map((c) => ema.update(bar(c)));
      assert.deepEqual(values.slice(0, 4), [0, 0, 0, 0]);
      assert.ok(Math.abs((values[4] as number) - 1.0498687664) < 1e-8);
    });
  });

  it('stays silent during the warm-up, then sends the side the value calls for', () => {
    // ROC over 2 bars needs 3 bars; warm-up 5 bars. Rising 1 % a bar from the start.
    const closes = [100, 101, 102.01, 103.0301, 104.060401, 105.10100501];
    const early = run({ method: 'roc', source: 'candle', lookback: 2, threshold: 1, hysteresis: 0.2, cooldownMs: 0, warmupBars: 0 }, candles(closes));
    assert.deepEqual(early.map((s) => [(s.ts - T0) / 1000, s.side]), [[3, 'buy']], 'ROC(2) = +2.01 % from bar 3');
    assert.ok(Math.abs(early[0]!.value - 2.01) < 1e-9);
    assert.equal(early[0]!.strength, 2.01, '|2.01 %| / 1 %');
    const late = run({ method: 'roc', source: 'candle', lookback: 2, threshold: 1, hysteresis: 0.2, cooldownMs: 0, warmupBars: 5 }, candles(closes));
    assert.deepEqual(late.map((s) => [(s.ts - T0) / 1000, s.side]), [[5, 'buy']]);
  });

  it('holds a side inside the hysteresis band and goes flat below it', () => {
    const machine = new SignalStateMachine(1, 0.2, 0);
    const sides = [1.2, 0.9, 0.81, 0.8, -0.5, -1.01, -0.85, -0.79].map((v, i) => machine.update(v, i));
    assert.deepEqual(sides, ['buy', null, null, 'flat', null, 'sell', null, 'flat']);
    assert.match(machine.explain('flat', ' %'), /back within ±0.8 % \(threshold 1 %\)/);
  });

  it('goes straight from buy to sell when the value jumps across', () => {
    const machine = new SignalStateMachine(1, 0.2, 0);
    assert.deepEqual([2, -2].map((v, i) => machine.update(v, i)), ['buy', 'sell']);
  });

  it('rate of change, VWAP deviation and z-score by hand', () => {
    const roc = new RateOfChange(3);
    assert.deepEqual([100, 102, 101].map((c) => roc.update(bar(c))), [null, null, null]);
    assert.ok(Math.abs((roc.update(bar(105)) as number) - 5) < 1e-12, '(105 − 100) / 100');

    // Two bars: 10 @ 100 and 30 @ 104 → VWAP (1000 + 3120) / 40 = 103; close 104 is +0.970874 % above.
    const vwap = new VwapDeviation(2);
    assert.equal(vwap.update(bar(100, 10)), null);
    assert.ok(Math.abs((vwap.update(bar(104, 30)) as number) - 0.9708737864) < 1e-9);
    assert.match(vwap.describe(0.9708737864), /price 104 vs VWAP\(2 bars\) 103: \+0.9709 %/);

    // Returns ln(101/100), ln(100/101), ln(101/100), then ln(110/101): against the first three
    // (mean m = 0.0099503/3, sample sd s = 0.011489) the last is (0.085357 − 0.0033168) / 0.011489 = 7.1407.
    const z = new ReturnZScore(3);
    const values = [100, 101, 100, 101, 110].map((c) => z.update(bar(c)));
    assert.deepEqual(values.slice(0, 4), [null, null, null, null]);
    assert.ok(Math.abs((values[4] as number) - 7.1407) < 1e-3, String(values[4]));
    const flat = new ReturnZScore(2);
    assert.deepEqual([100, 100, 100, 100].map((c) => flat.update(bar(c))), [null, null, null, null], 'no deviation: no z-score');
  });

  it('builds bars from trade ticks by event time: the close is the last price, a bar closes on the first tick of a later bar', () => {
    const tracker = new MomentumTracker({ method: 'roc', source: 'trade', barMs: 1_000, lookback: 1, threshold: 1, hysteresis: 0, cooldownMs: 0 });
    const trade = (t: number, price: number): TradeEvent => ({ type: 'trade', provider: 'test', symbol: 'ETH-USD', ts: T0 + t, receivedAt: T0, price, size: 1 });
    const out = [trade(0, 100), trade(500, 90), trade(999, 100), trade(1_200, 101), trade(1_900, 102), trade(4_100, 99)].map((e) => tracker.onEvent(e));
    // Bar [0, 1 s) closes at 100; bar [1, 2 s) at 102 (+2 % → buy, sent with the tick at 4.1 s); the empty bars are skipped.
    assert.deepEqual(out.map((s) => s && [s.side, (s.ts - T0) / 1000, s.price]), [null, null, null, null, null, ['buy', 2, 102]]);
    assert.equal(tracker.barsOf('ETH-USD'), 2);
  });

  it('reads quote mids for the quote source, ignores other events, and keeps symbols apart', () => {
    const tracker = new MomentumTracker({ method: 'roc', source: 'quote', barMs: 1_000, lookback: 1, threshold: 1, hysteresis: 0, cooldownMs: 0 });
    const q = (symbol: string, t: number, bid: number | null, ask: number): QuoteEvent => ({ type: 'quote', provider: 'test', symbol, ts: T0 + t, receivedAt: T0, bid, bidSize: 1, ask, askSize: 1 });
    const trade: TradeEvent = { type: 'trade', provider: 'test', symbol: 'A', ts: T0 + 100, receivedAt: T0, price: 500, size: 1 };
    assert.equal(tracker.accepts(trade), false);
    const events: MarketEvent[] = [q('A', 0, 99, 101), q('B', 0, 10, 10.2), trade, q('A', 1_000, 101, 103), q('B', 1_000, null, 50), q('B', 1_100, 9.8, 10), q('A', 2_000, 101, 103), q('B', 2_000, 9, 9.1)];
    const signals = events.map((e) => tracker.onEvent(e)).filter((s): s is SignalEvent => s !== null);
    // A: 100 → 102 (+2 %): buy. B: 10.1 → 9.9 (−1.98 %): sell; the quote without a bid is skipped.
    assert.deepEqual(signals.map((s) => [s.symbol, s.side, s.price]), [['A', 'buy', 102], ['B', 'sell', 9.9]]);
  });

  it('uses only closed candles, weighs VWAP by candle volume, and drops symbols idle for an hour', () => {
    const tracker = new MomentumTracker({ method: 'roc', source: 'candle', lookback: 1, threshold: 1, hysteresis: 0, cooldownMs: 0 });
    const [a, b] = candles([100, 105]);
    assert.equal(tracker.onEvent({ ...b!, closed: false, close: 200 }), null);
    assert.equal(tracker.barsOf('BTC-USD'), 0, 'an open candle is not a bar');
    tracker.onEvent(a!);
    assert.equal(tracker.onEvent(b!)?.side, 'buy');
    assert.equal(tracker.trackedSymbols, 1);
    tracker.onEvent({ ...candles([1], 'OTHER')[0]!, ts: T0 + 3_601_000 + 60_000, start: T0 + 3_600_000, end: T0 + 3_601_000 });
    assert.equal(tracker.trackedSymbols, 1, 'BTC-USD forgotten, OTHER tracked');
    assert.equal(tracker.barsOf('BTC-USD'), 0);
  });
});
