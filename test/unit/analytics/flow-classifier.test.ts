import assert from 'node:assert/strict';
import { FlowClassifier, LATE_PRINT_GRACE_MS, type ClassifiedFlow, type FlowSettings } from '../../../src/analytics/flow-classifier';
import type { FlowStats } from '../../../src/analytics/flow-stats';
import type { MarketEvent, OptionInfo, QuoteEvent, SummaryEvent, TradeEvent } from '../../../src/model/events';

const T0 = Date.UTC(2026, 10, 20, 15, 0, 0); // Friday 20 Nov 2026, 10:00 New York
const CALL = 'SPY   261127C00600000';
const PUT = 'SPY   261127P00590000';
const callInfo: OptionInfo = { underlying: 'SPY', expiry: '2026-11-27', right: 'call', strike: 600, multiplier: 100 };
const putInfo: OptionInfo = { underlying: 'SPY', expiry: '2026-11-27', right: 'put', strike: 590, multiplier: 100 };

function quote(symbol: string, option: OptionInfo | undefined, ts: number, bid: number | null, ask: number | null): QuoteEvent {
  const event: QuoteEvent = { type: 'quote', provider: 'test', symbol, ts, receivedAt: ts, bid, bidSize: bid === null ? null : 10, ask, askSize: ask === null ? null : 10 };
  if (option) event.option = option;
  return event;
}

function print(ts: number, price: number, size: number, exchange: string | undefined, extra: Partial<TradeEvent> = {}): TradeEvent {
  const trade: TradeEvent = { type: 'trade', provider: 'test', symbol: CALL, option: callInfo, ts, receivedAt: ts, price, size, ...extra };
  if (exchange) trade.exchange = exchange;
  return trade;
}

/** A classifier whose results are collected; events are pushed with wall time = event time unless given. */
function harness(settings: Partial<FlowSettings> = {}) {
  const flows: Array<ClassifiedFlow<string>> = [];
  const stats: FlowStats[] = [];
  const classifier = new FlowClassifier<string>({ statsEveryMs: 0, ...settings }, { flow: (f) => flows.push(f), stats: (s) => stats.push(s) });
  const push = (event: MarketEvent, carry = 'msg', wall = event.ts) => classifier.push(event, wall, carry);
  return { classifier, flows, stats, push };
}

describe('FlowClassifier', () => {
  it('aggregates a sweep across 3 exchanges within 40 ms into one SWEEP with summed size and premium', () => {
    const { flows, push } = harness();
    push(quote('SPY', undefined, T0 - 100, 601.9, 602.1));
    push(quote(CALL, callInfo, T0 - 50, 4.9, 5.0));
    push(print(T0, 5.0, 10, 'CBOE'), 'first print msg');
    push(print(T0 + 15, 5.0, 20, 'ISE'), 'second');
    push(print(T0 + 40, 5.0, 30, 'PHLX'), 'third');
    assert.equal(flows.length, 0, 'the order is open until its window has passed');
    push(quote(CALL, callInfo, T0 + 499, 4.9, 5.0));
    assert.equal(flows.length, 0, '499 ms after the first print it may still grow');
    push(quote(CALL, callInfo, T0 + 500, 4.9, 5.0));
    assert.equal(flows.length, 1);
    const { flow, trades, carry } = flows[0]!;
    assert.equal(flow.kind, 'SWEEP');
    assert.equal(flow.size, 60);
    assert.equal(flow.premiumUsd, 30_000, '5.00 × 60 × 100');
    assert.deepEqual(flow.exchanges, ['CBOE', 'ISE', 'PHLX']);
    assert.equal(flow.prints, 3);
    assert.equal(flow.price, 5);
    assert.equal(flow.ts, T0);
    assert.equal(flow.lastTs, T0 + 40);
    assert.equal(flow.side, 'ask');
    assert.equal(flow.sentiment, 'bullish');
    assert.equal(flow.whale, false);
    assert.equal(flow.underlyingPrice, 602, 'mid of the underlying quote');
    assert.equal(flow.moneyness, 'ATM', '602 is within 600 ± 6');
    assert.equal(flow.dte, 7);
    assert.deepEqual(flow.nbbo, { bid: 4.9, ask: 5.0 });
    assert.equal(carry, 'first print msg', 'the order travels with its first print');
    assert.deepEqual(trades.map((t) => t.exchange), ['CBOE', 'ISE', 'PHLX']);
    assert.match(flow.explain, /^SWEEP: 3 prints on 3 exchanges \(CBOE, ISE, PHLX\) within 40 ms \(window 500 ms\); premium \$30,000 < whale \$100,000; ask: price 5, NBBO 4.9 × 5; ATM: underlying 602 vs strike 600 \(ATM band ±6\); 7 DTE/);
  });

  it('classifies the same prints 600 ms apart as three SINGLEs', () => {
    const { flows, push, classifier } = harness();
    push(quote(CALL, callInfo, T0 - 50, 4.9, 5.0));
    push(print(T0, 5.0, 10, 'CBOE'));
    push(print(T0 + 600, 5.0, 20, 'ISE'));
    push(print(T0 + 1200, 5.0, 30, 'PHLX'));
    classifier.flush();
    assert.deepEqual(
      flows.map((f) => [f.flow.kind, f.flow.size, f.flow.premiumUsd, f.flow.exchanges, f.flow.ts]),
      [
        ['SINGLE', 10, 5_000, ['CBOE'], T0],
        ['SINGLE', 20, 10_000, ['ISE'], T0 + 600],
        ['SINGLE', 30, 15_000, ['PHLX'], T0 + 1200],
      ],
    );
    assert.match(flows[0]!.flow.explain, /^SINGLE: one print of 10 contracts, \$5,000 \(a block is ≥ 250 contracts or ≥ \$100,000\)/);
  });

  it('a print exactly at the whale premium is a whale; one contract less is not', () => {
    const { flows, push, classifier } = harness();
    push(quote(CALL, callInfo, T0 - 50, 2.45, 2.5));
    // Two exchanges × 200 contracts × $2.50 × 100 = $100,000 exactly.
    push(print(T0, 2.5, 200, 'CBOE'));
    push(print(T0 + 5, 2.5, 200, 'MIAX'));
    // 5 s later: 199 + 200 contracts = $99,750.
    push(print(T0 + 5000, 2.5, 199, 'CBOE'));
    push(print(T0 + 5005, 2.5, 200, 'MIAX'));
    classifier.flush();
    assert.deepEqual(flows.map((f) => [f.flow.kind, f.flow.premiumUsd, f.flow.whale]), [
      ['SWEEP', 100_000, true],
      ['SWEEP', 99_750, false],
    ]);
    assert.match(flows[0]!.flow.explain, /whale: premium \$100,000 ≥ \$100,000/);
  });

  it('splits, and blocks by size or by premium', () => {
    const { flows, push, classifier } = harness();
    push(quote(CALL, callInfo, T0 - 50, 2.45, 2.5));
    push(print(T0, 2.5, 30, 'CBOE'));
    push(print(T0 + 300, 2.5, 40, 'CBOE'));
    push(print(T0 + 2000, 2.45, 250, 'ISE')); // 250 contracts: a block by size, $61,250
    push(print(T0 + 4000, 2.5, 420, 'ISE')); // $105,000: a block by size and premium, and a whale
    classifier.flush();
    assert.deepEqual(flows.map((f) => [f.flow.kind, f.flow.size, f.flow.side, f.flow.whale]), [
      ['SPLIT', 70, 'ask', false],
      ['BLOCK', 250, 'bid', false],
      ['BLOCK', 420, 'ask', true],
    ]);
    assert.match(flows[0]!.flow.explain, /^SPLIT: 2 prints on CBOE within 300 ms/);
    assert.match(flows[1]!.flow.explain, /^BLOCK: one print of 250 contracts ≥ 250/);
    const byPremium = harness({ blockMinSize: 10_000 });
    byPremium.push(print(T0, 2.5, 420, 'ISE'));
    byPremium.classifier.flush();
    assert.match(byPremium.flows[0]!.flow.explain, /^BLOCK: one print of \$105,000 premium ≥ \$100,000/);
  });

  it('keeps buys and sells of one contract in separate orders, and judges each against the NBBO', () => {
    const { flows, push, classifier } = harness();
    push(quote(PUT, putInfo, T0 - 50, 3.0, 3.2));
    push(print(T0, 3.2, 10, 'CBOE', { symbol: PUT, option: putInfo }));
    push(print(T0 + 10, 3.0, 10, 'ISE', { symbol: PUT, option: putInfo }));
    push(print(T0 + 20, 3.25, 10, 'PHLX', { symbol: PUT, option: putInfo }));
    push(print(T0 + 30, 3.1, 5, 'BOX', { symbol: PUT, option: putInfo }));
    classifier.flush();
    assert.deepEqual(flows.map((f) => [f.flow.kind, f.flow.side, f.flow.sentiment, f.flow.size, f.flow.exchanges]), [
      ['SWEEP', 'above-ask', 'bearish', 20, ['CBOE', 'PHLX']],
      ['SINGLE', 'bid', 'bullish', 10, ['ISE']],
      ['SINGLE', 'mid', 'neutral', 5, ['BOX']],
    ]);
    assert.equal(flows[0]!.flow.price, 3.225, 'volume-weighted');
  });

  it('without a quote, uses the venue\'s aggressor flag for sentiment and says so', () => {
    const { flows, push, classifier } = harness();
    push(print(T0, 1.5, 10, 'CBOE', { side: 'buy' }));
    push(print(T0 + 10, 1.5, 10, undefined));
    classifier.flush();
    assert.equal(flows.length, 2);
    assert.equal(flows[0]!.flow.side, null);
    assert.equal(flows[0]!.flow.sentiment, 'bullish');
    assert.equal(flows[0]!.flow.nbbo, null);
    assert.match(flows[0]!.flow.explain, /side unknown: price 1.5, no NBBO; aggressor buy \(venue flag\)/);
    assert.equal(flows[1]!.flow.sentiment, 'neutral');
    assert.deepEqual(flows[1]!.flow.exchanges, []);
    assert.equal(flows[1]!.flow.moneyness, null, 'no underlying price anywhere');
    assert.match(flows[1]!.flow.explain, /moneyness unknown/);
  });

  it('prefers the print\'s underlyingPrice, then the underlying\'s last trade or quote; volOi from the summary plus later prints', () => {
    const { flows, push, classifier } = harness();
    const summary: SummaryEvent = { type: 'summary', provider: 'test', symbol: CALL, option: callInfo, ts: T0 - 10, receivedAt: T0, volume: 900, openInterest: 2000 };
    push(summary);
    push({ type: 'trade', provider: 'test', symbol: 'SPY', ts: T0 - 5, receivedAt: T0, price: 610, size: 100 });
    push(print(T0, 12, 100, 'CBOE'));
    push(print(T0 + 1000, 12, 100, 'CBOE', { underlyingPrice: 590 }));
    classifier.flush();
    assert.equal(flows[0]!.flow.underlyingPrice, 610);
    assert.equal(flows[0]!.flow.moneyness, 'ITM');
    assert.equal(flows[0]!.flow.volOi, 0.5, '(900 + 100) / 2000');
    assert.equal(flows[1]!.flow.underlyingPrice, 590);
    assert.equal(flows[1]!.flow.moneyness, 'OTM');
    assert.equal(flows[1]!.flow.volOi, 0.55);
    const without = harness();
    without.push(print(T0, 12, 100, 'CBOE'));
    without.classifier.flush();
    assert.ok(!('volOi' in without.flows[0]!.flow), 'absent without open interest');
  });

  it('skips prints without a positive price and size instead of producing NaN', () => {
    const { flows, push, classifier } = harness();
    push(print(T0, 0, 10, 'CBOE'));
    push(print(T0 + 1, 5, 0, 'CBOE'));
    classifier.flush();
    assert.equal(flows.length, 0);
  });

  it('reads the option from an OCC symbol when the event has no option block', () => {
    const { flows, push, classifier } = harness();
    push({ type: 'trade', provider: 'test', symbol: 'SPY261127P00590000', ts: T0, receivedAt: T0, price: 1, size: 3 });
    classifier.flush();
    assert.deepEqual(flows[0]!.flow.option, { underlying: 'SPY', expiry: '2026-11-27', right: 'put', strike: 590, multiplier: 100 });
    assert.equal(flows[0]!.flow.premiumUsd, 300);
  });

  it('on a silent stream, closes an order by the wall clock one grace period after its window', () => {
    const { flows, push, classifier } = harness();
    const wall = 1_000_000;
    push(print(T0, 5, 10, 'CBOE'), 'm', wall);
    classifier.tick(wall + 500 + LATE_PRINT_GRACE_MS - 1);
    assert.equal(flows.length, 0);
    classifier.tick(wall + 500 + LATE_PRINT_GRACE_MS);
    assert.equal(flows.length, 1);
    assert.equal(classifier.openOrders, 0);
  });

  it('does not close an order by the wall clock when the stream only stalled (a replay on a busy machine): the order is the same on every run', () => {
    const { flows, push, classifier } = harness();
    const wall = 1_000_000;
    push(print(T0, 5, 10, 'CBOE'), 'm', wall);
    classifier.tick(wall + 100);
    push(print(T0 + 10, 5, 10, 'ISE'), 'm', wall + 150);
    // The process stalls 5 s; the first tick after it still saw an event since the tick before.
    classifier.tick(wall + 5_150);
    assert.equal(flows.length, 0, 'not closed by a stall');
    push(print(T0 + 20, 5, 10, 'PHLX'), 'm', wall + 5_160);
    classifier.flush();
    assert.equal(flows.length, 1);
    assert.equal(flows[0]!.trades.length, 3, 'all three prints in one order, as the event times say');
  });

  it('sends rolling statistics every N s of event time over the window, with ratios and top contracts', () => {
    const { stats, push } = harness({ statsEveryMs: 10_000, statsWindowMs: 60_000, topContracts: 2 });
    const start = Math.ceil(T0 / 10_000) * 10_000; // snapshots fall on whole multiples of 10 s
    push(quote(CALL, callInfo, start, 4.9, 5.0));
    push(quote(PUT, putInfo, start, 3.0, 3.2));
    push(print(start + 1_000, 5.0, 10, 'CBOE')); // call at ask: bullish $5,000
    push(print(start + 2_000, 4.9, 20, 'ISE')); // call at bid: bearish $9,800
    push(print(start + 3_000, 3.2, 30, 'PHLX', { symbol: PUT, option: putInfo })); // put at ask: bearish $9,600
    push(print(start + 3_010, 3.2, 30, 'PHLX', { symbol: PUT, option: putInfo })); // same order: a split, $19,200 in all
    push(quote(CALL, callInfo, start + 9_999, 4.9, 5.0));
    assert.equal(stats.length, 0);
    push(quote(CALL, callInfo, start + 10_000, 4.9, 5.0));
    assert.equal(stats.length, 1, 'one snapshot when the 10 s boundary passes');
    const s = stats[0]!;
    assert.equal(s.type, 'flowStats');
    assert.equal(s.ts, start + 10_000);
    assert.equal(s.windowS, 60);
    assert.equal(s.flows, 3);
    assert.deepEqual(s.kinds, { SWEEP: 0, SPLIT: 1, BLOCK: 0, SINGLE: 2 });
    assert.equal(s.callVolume, 30);
    assert.equal(s.putVolume, 60);
    assert.equal(s.callPremiumUsd, 14_800);
    assert.equal(s.putPremiumUsd, 19_200);
    assert.equal(s.putCallVolumeRatio, 2);
    assert.equal(s.putCallPremiumRatio, 1.2973, '19,200 / 14,800');
    assert.equal(s.bullishPremiumUsd, 5_000);
    assert.equal(s.bearishPremiumUsd, 29_000);
    assert.deepEqual(s.topContracts, [
      { symbol: PUT, premiumUsd: 19_200, volume: 60, flows: 1 },
      { symbol: CALL, premiumUsd: 14_800, volume: 30, flows: 2 },
    ]);
    // A minute and more later the window has moved past every flow.
    push(quote(CALL, callInfo, start + 75_000, 4.9, 5.0));
    const later = stats.at(-1)!;
    assert.equal(later.flows, 0);
    assert.equal(later.putCallVolumeRatio, null, 'no calls: no ratio, not 0');
    assert.deepEqual(later.topContracts, []);
  });

  it('forgets quotes and prices of symbols idle for 15 minutes, so memory follows activity', () => {
    const { push, classifier } = harness();
    for (let i = 0; i < 200; i++) push(quote(`SPY   261127C00${String(500 + i).padStart(3, '0')}000`, callInfo, T0 + i, 1, 1.1));
    push({ type: 'trade', provider: 'test', symbol: 'SPY', ts: T0 + 300, receivedAt: T0, price: 600, size: 1 });
    assert.equal(classifier.trackedSymbols, 201);
    push(quote(CALL, callInfo, T0 + 16 * 60_000, 4.9, 5));
    push(quote(CALL, callInfo, T0 + 17 * 60_000, 4.9, 5));
    assert.equal(classifier.trackedSymbols, 1, 'only the contract still quoting');
  });

  it('says which events it used', () => {
    const { push } = harness();
    assert.equal(push({ type: 'candle', provider: 't', symbol: 'SPY', ts: T0, receivedAt: T0, interval: '1m', start: T0, end: T0 + 60_000, open: 1, high: 1, low: 1, close: 1, volume: 1, closed: true }), false);
    assert.equal(push({ type: 'book', provider: 't', symbol: 'SPY', ts: T0, receivedAt: T0, bids: [], asks: [], depth: 10 }), false);
    assert.equal(push(quote(CALL, callInfo, T0, 1, 2)), true);
  });
});
